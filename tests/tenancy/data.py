"""Two tenants' rows, with tenant 2's planted under every relation of tenant 1's."""

from __future__ import annotations

from . import models

#: In every row of tenant 2: no response to tenant 1 may show it.
CANARY = "CANARY"


def build_tenancy(patients: int = 2) -> None:
    """Tenant 1: a doctor and `patients` patients, each with an appointment (with a
    prescription) and a tag. Tenant 2's rows under each: an appointment (with a
    prescription of its own), a tag, a prescription under tenant 1's appointment, a
    patient of tenant 1's doctor."""
    one = models.Tenant.objects.get_or_create(pk=1, name="one")[0]
    two = models.Tenant.objects.get_or_create(pk=2, name="two")[0]
    doctor = models.Doctor.objects.create(tenant=one, name="doctor")
    other_doctor = models.Doctor.objects.create(tenant=two, name=CANARY)
    for i in range(patients):
        patient = models.Patient.objects.create(tenant=one, name=f"patient{i}", doctor=doctor)
        appointment = models.Appointment.objects.create(
            tenant=one, patient=patient, doctor=doctor, reason=f"checkup{i}"
        )
        models.Prescription.objects.create(tenant=one, appointment=appointment, drug=f"drug{i}")
        models.Prescription.objects.create(tenant=two, appointment=appointment, drug=CANARY)
        models.Tag.objects.create(tenant=one, patient=patient, label=f"note{i}")
        models.Tag.objects.create(tenant=two, patient=patient, label=f"note {CANARY}")
        planted = models.Appointment.objects.create(
            tenant=two, patient=patient, doctor=other_doctor, reason=f"checkup {CANARY}"
        )
        models.Prescription.objects.create(tenant=two, appointment=planted, drug=CANARY)
    models.Patient.objects.create(tenant=two, name=CANARY, doctor=doctor)
