"""Every row belongs to a tenant; relations may point across tenants (a shared doctor,
a misfiled appointment), so only the views' scoping keeps a tenant's responses its own."""

from __future__ import annotations

from django.db import models


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant_id: int) -> TenantQuerySet:
        return self.filter(tenant_id=tenant_id)


class Tenant(models.Model):
    name = models.CharField(max_length=50)


class Doctor(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    name = models.CharField(max_length=50)

    objects = TenantQuerySet.as_manager()


class Patient(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    name = models.CharField(max_length=50)
    doctor = models.ForeignKey(
        Doctor, null=True, blank=True, on_delete=models.SET_NULL, related_name="patients"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["id"]


class Tag(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="tags")
    label = models.CharField(max_length=50)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["id"]


class Appointment(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="appointments")
    doctor = models.ForeignKey(
        Doctor, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    reason = models.CharField(max_length=50)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["id"]


class Prescription(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="prescriptions"
    )
    drug = models.CharField(max_length=50)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
