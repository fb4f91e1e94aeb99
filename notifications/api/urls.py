from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import BreachListView, ComplianceReportView, NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    *router.urls,
    path("reports/compliance/", ComplianceReportView.as_view(), name="report-compliance"),
    path("reports/breaches/", BreachListView.as_view(), name="report-breaches"),
]
