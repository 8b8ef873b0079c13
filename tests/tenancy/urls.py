from __future__ import annotations

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("patients", views.PatientViewSet, basename="tenancy-patient")
router.register("slow-patients", views.SlowPatientViewSet, basename="tenancy-slow-patient")
router.register("grouped-patients", views.GroupedPatientViewSet, basename="tenancy-grouped")
router.register("doctors", views.DoctorViewSet, basename="tenancy-doctor")

urlpatterns = router.urls
