from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from incidents.signin import guarded_admin_login
from notifications.views import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/login/", guarded_admin_login),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("opinion_tracker.api_urls")),
    path("", include("notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler400 = "incidents.api.errors.bad_request"
handler404 = "incidents.api.errors.not_found"
handler500 = "incidents.api.errors.server_error"
