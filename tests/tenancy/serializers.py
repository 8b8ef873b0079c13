"""Serializers of the tenancy app: every loading mode drf_eager has, on relations whose
rows may belong to another tenant."""

from __future__ import annotations

from django.db.models import Prefetch, Q
from rest_framework.permissions import IsAdminUser

from drf_eager import CountOf, EagerFieldsModelSerializer, Exists, Grouped, classproperty

from . import models


class TagSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Tag
        fields = ["id", "label"]


class PrescriptionSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Prescription
        fields = ["id", "drug"]


class DoctorSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Doctor
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        return {
            "patients": {"field": PatientSerializer(many=True)},
            "num_patients": {"field": CountOf("patients")},
        }


class AppointmentSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Appointment
        fields = ["id", "reason"]

    @classproperty
    def extra(cls):
        return {
            "patient": {"field": PatientSerializer()},
            "doctor": {"field": DoctorSerializer()},
            "prescriptions": {"field": PrescriptionSerializer(many=True)},
            "num_prescriptions": {"field": CountOf("prescriptions")},
        }


class PatientSerializer(EagerFieldsModelSerializer):
    class Meta:
        model = models.Patient
        fields = ["id", "name"]

    @classproperty
    def extra(cls):
        many = AppointmentSerializer
        return {
            "appointments": {"field": many(many=True)},
            "grouped_appointments": {
                "field": many(many=True, source="appointments"),
                "prefetch": Grouped(),
            },
            "lazy_appointments": {
                "field": many(many=True, source="appointments"),
                "prefetch": False,
            },
            "latest_appointments": {
                "field": many(many=True, source="appointments"),
                "prefetch": Prefetch(
                    "appointments", queryset=models.Appointment.objects.order_by("-id")
                ),
            },
            "checkups": {
                "field": many(many=True, source="appointments"),
                "filter": Q(reason__startswith="checkup"),
            },
            "tags": {"field": TagSerializer(many=True)},
            "doctor": {"field": DoctorSerializer()},
            "num_appointments": {"field": CountOf("appointments")},
            "has_notes": {"field": Exists("tags", filter=Q(label__startswith="note"))},
            "private_appointments": {
                "field": many(many=True, source="appointments"),
                "permissions": [IsAdminUser],
            },
        }
