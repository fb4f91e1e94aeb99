from django.urls import path
from rest_framework.routers import SimpleRouter

from .drills import DrillView
from .escalations import AcknowledgeEntryView, EscalationListView, UnreadCountView
from .ranking import RankingView
from .readiness import ReadinessView
from .views import BreachListView, ComplianceReportView, NotificationViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    *router.urls,
    path("escalations/", EscalationListView.as_view(), name="escalation-list"),
    path("escalations/unread-count/", UnreadCountView.as_view(), name="escalation-unread-count"),
    path("escalations/<int:pk>/acknowledge/", AcknowledgeEntryView.as_view(), name="escalation-acknowledge"),
    path("reports/compliance/", ComplianceReportView.as_view(), name="report-compliance"),
    path("reports/breaches/", BreachListView.as_view(), name="report-breaches"),
    path("reports/ranking/", RankingView.as_view(), name="report-ranking"),
    path("readiness/", ReadinessView.as_view(), name="readiness"),
    path("drills/", DrillView.as_view(), name="drill-list"),
]
