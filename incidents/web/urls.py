from django.urls import path

from . import casework, dashboard, incident, todo

urlpatterns = [
    path("incidents/", dashboard.DashboardView.as_view(), name="dashboard"),
    path("incidents/feed/", dashboard.DashboardFeedView.as_view(), name="dashboard_feed"),
    path("todo/", todo.ToDoView.as_view(), name="todo"),
    path("incidents/new/", incident.LogIncidentView.as_view(), name="log_incident"),
    path("incidents/<int:pk>/", incident.IncidentPage.as_view(), name="incident"),
    path("incidents/<int:pk>/actions/", incident.RecordActionView.as_view(), name="record_action"),
    path("incidents/<int:pk>/regrade/", incident.RegradeView.as_view(), name="regrade"),
    path("incidents/<int:pk>/close/", incident.CloseView.as_view(), name="close"),
    path("incidents/<int:pk>/casework/<slug:name>/", casework.CaseworkView.as_view(), name="casework"),
    path(
        "incidents/<int:pk>/requests/<int:request_pk>/<slug:verdict>/",
        casework.DecideView.as_view(),
        name="decide_request",
    ),
]
