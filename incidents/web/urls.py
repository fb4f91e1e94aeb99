from django.urls import path

from . import dashboard, incident

urlpatterns = [
    path("incidents/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("incidents/new/", incident.LogIncidentView.as_view(), name="log_incident"),
    path("incidents/<int:pk>/", incident.IncidentPage.as_view(), name="incident"),
    path("incidents/<int:pk>/actions/", incident.RecordActionView.as_view(), name="record_action"),
    path("incidents/<int:pk>/regrade/", incident.RegradeView.as_view(), name="regrade"),
    path("incidents/<int:pk>/close/", incident.CloseView.as_view(), name="close"),
]
