from django.urls import path
from rest_framework.routers import SimpleRouter

from . import bulletins, drafts

router = SimpleRouter()
router.register("drafts", drafts.DraftViewSet, basename="draft")

urlpatterns = [
    path("incidents/<int:incident_pk>/drafts/", drafts.IncidentDraftsView.as_view(), name="incident-drafts"),
    path("incidents/<int:incident_pk>/report/", bulletins.IncidentReportView.as_view(), name="incident-report"),
    path("incidents/<int:incident_pk>/report/send/", bulletins.SendReportView.as_view(), name="incident-report-send"),
    *router.urls,
]
