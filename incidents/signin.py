"""Signing in with failed attempts limited, for every way in: API token, API session, the admin.

Failures are counted per username and per client address in the cache (shared by all workers when
the cache is Redis, see ``CACHE_URL``). Once either count reaches its limit, every attempt is
refused until the window ends, right password or not, so guessing gains nothing.
"""

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _


class LoginGuard:
    """Counts failed sign-ins per username and per address within ``LOGIN_FAILURE_WINDOW_SECONDS``."""

    def __init__(self, request, username: str):
        address = request.META.get("REMOTE_ADDR", "")
        self.keys = {
            f"login-failures:user:{username.strip().lower()}": settings.LOGIN_FAILURES_PER_USERNAME,
            f"login-failures:addr:{address}": settings.LOGIN_FAILURES_PER_ADDRESS,
        }

    @property
    def blocked(self) -> bool:
        counts = cache.get_many(self.keys)
        return any(counts.get(key, 0) >= limit for key, limit in self.keys.items())

    def failed(self) -> None:
        for key in self.keys:
            # add() starts the window; incr() keeps its expiry, so the window is fixed from the first failure.
            if not cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def too_many_attempts() -> str:
    return _("Too many failed sign-ins; try again later.")


def guarded_admin_login(request, **kwargs):
    """The Django admin's sign-in page behind the same limit: a failed sign-in re-renders the form (200)."""
    if request.method != "POST":
        return admin.site.login(request, **kwargs)
    guard = LoginGuard(request, request.POST.get("username", ""))
    if guard.blocked:
        response = HttpResponse(too_many_attempts(), status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return response
    response = admin.site.login(request, **kwargs)
    if response.status_code == 200:
        guard.failed()
    return response
