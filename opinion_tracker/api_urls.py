"""``/api/v1/``: every app's endpoints, the OpenAPI schema and the interactive docs (served offline)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from .api_audit import ConfigurationChangesView

app_name = "api"

urlpatterns = [
    path("", include("incidents.api.urls")),
    path("", include("statements.api.urls")),
    path("", include("notifications.api.urls")),
    path("audit/changes/", ConfigurationChangesView.as_view(), name="audit-changes"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
