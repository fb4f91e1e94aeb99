"""What error reports may show, and the one page the Content-Security-Policy has to loosen."""

import re

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter

# The user part of a URL ("scheme://user:password@host"), up to its last "@": a password is not always
# percent-encoded, and hiding too much of a URL costs less than showing a password.
URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)\S*@", re.IGNORECASE)


class TrackerExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, which hides settings by name (``…KEY``, ``…PASS…``), plus the credentials inside
    URLs, whatever their setting, variable or header is called.

    The broker, result backend and cache URLs (``redis://:password@redis:6379/0``), a database URL and
    any DSN carry their password in the value, under names Django does not hide; the same URLs appear in
    ``os.environ`` (in ``request.META`` under the development server) and in the local variables of the
    frames that connect. Everything the error mail and the debug page show of settings, request
    metadata and frame variables passes through ``cleanse_setting`` or ``cleanse_special_types``.
    """

    def cleanse_setting(self, key, value):
        return self.without_url_credentials(super().cleanse_setting(key, value))

    def cleanse_special_types(self, request, value):
        return self.without_url_credentials(super().cleanse_special_types(request, value))

    def without_url_credentials(self, value):
        if isinstance(value, str):
            return URL_CREDENTIALS.sub(rf"\g<scheme>{self.cleansed_substitute}@", value)
        return value


# drf-spectacular's Swagger page starts Swagger UI from an inline script that carries the CSRF token
# (so no hash can allow it), and Swagger UI and Redoc style themselves inline and draw data: images;
# Redoc starts web workers from blob: URLs. The schema they show is the tracker's own.
API_DOCS_DIRECTIVES = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "worker-src": [SELF, "blob:"],
}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with ``CONTENT_SECURITY_POLICY`` on every answer, loosened only on the
    interactive API docs (``API_DOCS_DIRECTIVES``): their pages come from drf-spectacular, not from the
    tracker's templates, and are of no use without their inline script."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if request.path_info in (reverse("api:docs"), reverse("api:redoc")):
            parts.replace = {**API_DOCS_DIRECTIVES, **(parts.replace or {})}
        return parts
