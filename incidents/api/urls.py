from django.urls import path
from rest_framework.routers import SimpleRouter

from .assessments import AssessmentsView
from .audit import AuditVerifyView
from .auth import SessionView, TokenView
from .calendar import CalendarYearView
from .casework import RequestViewSet
from .incidents import EvidenceView, IncidentViewSet, ObligationViewSet
from .intake import IngestView
from .merging import FollowOnView, MergeView
from .organisation import DepartmentViewSet, PersonViewSet

router = SimpleRouter()
router.register("departments", DepartmentViewSet, basename="department")
router.register("people", PersonViewSet, basename="person")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("obligations", ObligationViewSet, basename="obligation")
router.register("requests", RequestViewSet, basename="request")

urlpatterns = [
    *router.urls,
    path("actions/<int:pk>/evidence/", EvidenceView.as_view(), name="action-evidence"),
    path("calendar/<int:year>/", CalendarYearView.as_view(), name="calendar-year"),
    path("ingest/", IngestView.as_view(), name="ingest"),
    path("incidents/<int:pk>/assessments/", AssessmentsView.as_view(), name="incident-assessments"),
    path("incidents/<int:pk>/merge/", MergeView.as_view(), name="incident-merge"),
    path("incidents/<int:pk>/follow-on/", FollowOnView.as_view(), name="incident-follow-on"),
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("auth/session/", SessionView.as_view(), name="auth-session"),
    path("audit/verify/", AuditVerifyView.as_view(), name="audit-verify"),
]
