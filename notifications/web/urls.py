from django.urls import path

from . import compliance, escalations, findings, ranking, readiness

urlpatterns = [
    path("escalations/", escalations.EscalationsView.as_view(), name="escalations"),
    path("escalations/<int:pk>/acknowledge/", escalations.AcknowledgeView.as_view(), name="acknowledge"),
    path("compliance/", compliance.ComplianceView.as_view(), name="compliance"),
    path("compliance/breaches/<int:pk>/finding/", findings.FindingView.as_view(), name="record_finding"),
    path("reports/ranking/", ranking.RankingView.as_view(), name="ranking"),
    path("readiness/", readiness.ReadinessView.as_view(), name="readiness"),
    path("escalations/feed/", escalations.EscalationsFeedView.as_view(), name="escalations_feed"),
]
