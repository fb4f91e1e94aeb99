"""Signing in with failed attempts limited, for every way in: API token, API session, the admin.

Failures are counted per username and per client address in the cache (shared by all workers when
the cache is Redis, see ``CACHE_URL``). Once either count reaches its limit, every attempt is
refused until the window ends, right password or not, so guessing gains nothing. The count is kept
from the first attempt, so the window is fixed rather than sliding.
"""

import contextlib
import unicodedata

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.translation import gettext as _


class LoginGuard:
    """Counts sign-in attempts per username and per address within ``LOGIN_FAILURE_WINDOW_SECONDS``.

    An attempt is counted *before* the password is checked (``admit``) and handed back when it
    succeeds (``succeeded``), so what stays counted are the failures. Counting first is what holds
    under concurrency: twenty guesses sent at once each take a slot with an atomic increment, and
    those beyond the limit are refused without checking a password at all.
    """

    def __init__(self, request, username: str):
        # Django's sign-in form compares usernames after NFKC normalisation, so the count must too:
        # otherwise "ａｄｍｉｎ" would be a fresh username with fresh attempts that signs in as "admin".
        name = unicodedata.normalize("NFKC", username).strip().lower()
        address = request.META.get("REMOTE_ADDR", "")
        self.keys = {
            f"login-failures:user:{name}": settings.LOGIN_FAILURES_PER_USERNAME,
            f"login-failures:addr:{address}": settings.LOGIN_FAILURES_PER_ADDRESS,
        }

    def admit(self) -> bool:
        """Take a slot for this attempt; False (and nothing taken) when a limit is reached."""
        counts = {key: self._increment(key) for key in self.keys}
        if any(counts[key] > limit for key, limit in self.keys.items()):
            self.succeeded()
            return False
        return True

    def succeeded(self) -> None:
        """Give the slot back: a successful sign-in is not a failure."""
        for key in self.keys:
            with contextlib.suppress(ValueError):  # the window ended meanwhile
                cache.decr(key)

    @staticmethod
    def _increment(key) -> int:
        window = settings.LOGIN_FAILURE_WINDOW_SECONDS
        # add() starts the window; incr() keeps its expiry, so it is fixed from the first attempt.
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=window)
            return 1


def too_many_attempts() -> str:
    return _("Too many failed sign-ins; try again later.")


def guarded_form_sign_in(request, sign_in, refuse):
    """A sign-in form's POST behind the limit: ``refuse()`` answers past it (given 429 and Retry-After)
    without checking the password; otherwise ``sign_in()`` answers, a redirect when it signed in and the
    form again (200) when it failed."""
    guard = LoginGuard(request, request.POST.get("username", ""))
    if not guard.admit():
        response = refuse()
        response.status_code = 429
        response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_SECONDS)
        return response
    response = sign_in()
    if response.status_code != 200:
        guard.succeeded()
    return response


def guarded_admin_login(request, **kwargs):
    """The Django admin's sign-in page behind the same limit."""
    if request.method != "POST":
        return admin.site.login(request, **kwargs)
    return guarded_form_sign_in(
        request,
        sign_in=lambda: admin.site.login(request, **kwargs),
        refuse=lambda: HttpResponse(too_many_attempts(), content_type="text/plain; charset=utf-8"),
    )
