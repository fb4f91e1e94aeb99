from django.contrib import admin
from django.urls import include, path

from incidents.signin import guarded_admin_login
from notifications.views import healthz

urlpatterns = [
    path("admin/login/", guarded_admin_login),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("opinion_tracker.api_urls")),
    path("", include("notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("opinion_tracker.web_urls")),
]

handler400 = "incidents.api.errors.bad_request"
handler404 = "incidents.api.errors.not_found"
handler500 = "incidents.api.errors.server_error"
