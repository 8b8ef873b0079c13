"""Tenant-scoped views: the tenant is the request's `X-Tenant` header; the view's own
rows and every nested row are that tenant's."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from drf_eager import EagerFieldsViewMixin, data_predicate

from . import models, serializers


class TenantScoped(EagerFieldsViewMixin):
    model: Any

    def tenant_id(self) -> int:
        return int(self.request.headers.get("X-Tenant", "1"))

    def get_queryset(self):
        return self.model.objects.for_tenant(self.tenant_id())

    def get_related_queryset(self, model, path):
        queryset = super().get_related_queryset(model, path)
        if any(f.name == "tenant" for f in model._meta.concrete_fields):
            queryset = queryset.filter(tenant_id=self.tenant_id())
        return queryset

    def perform_create(self, serializer):
        serializer.validated_data["tenant_id"] = self.tenant_id()
        super().perform_create(serializer)


class PatientViewSet(TenantScoped, viewsets.ModelViewSet):
    model = models.Patient
    serializer_class = serializers.PatientSerializer

    @data_predicate("lazy_appointments")
    def with_appointments(self, queryset):
        # `lazy_appointments` is `prefetch: False`: the view loads it, scoped.
        appointments = models.Appointment.objects.for_tenant(self.tenant_id())
        return queryset.prefetch_related(Prefetch("appointments", appointments))

    @action(detail=True)
    def unplanned(self, request, pk=None):
        """An @action that reads its row without filter_queryset()."""
        patient = self.get_queryset().get(pk=pk)
        return Response(self.get_serializer(patient).data)


class SlowPatientViewSet(PatientViewSet):
    """The DRF path for lists too."""

    eager_fast_path = False


class GroupedPatientViewSet(PatientViewSet):
    eager_grouped = ["appointments"]


class DoctorViewSet(TenantScoped, viewsets.ModelViewSet):
    model = models.Doctor
    serializer_class = serializers.DoctorSerializer
