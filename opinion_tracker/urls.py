from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from incidents.signin import guarded_admin_login
from notifications.views import healthz
from opinion_tracker.metrics import metrics

urlpatterns = [
    path("admin/login/", guarded_admin_login),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    # Browsers ask for /favicon.ico whatever the pages link; the icon's hashed name is looked up per request.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("tracker/favicon.svg")), name="favicon"),
    path("api/v1/", include("opinion_tracker.api_urls")),
    path("", include("notifications.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("opinion_tracker.web_urls")),
]

handler400 = "opinion_tracker.lib.api.errors.bad_request"
handler404 = "opinion_tracker.lib.api.errors.not_found"
handler500 = "opinion_tracker.lib.api.errors.server_error"
