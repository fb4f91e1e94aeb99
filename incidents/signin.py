"""Signing in with failed attempts limited, for every way in: API token, API session, the admin.

Failures are counted in the database (``SignInFailure``), per client address whatever the username,
and per username from that address. Once a count reaches its limit, further attempts from that
address (or for that username from it) are refused until enough failures leave the window, right
password or not, so guessing gains nothing; the refusal says when to try again.

Why per address and not per username: a limit per username alone lets anyone lock a named leader out
by typing wrong passwords for their username. Counted per address, failures refuse only the address
they came from, and a person signing in from another address is never refused because of someone
else's failures. The price is that guesses spread over many addresses are held back only by the limit
of each; the password validators (``AUTH_PASSWORD_VALIDATORS``) are what make those guesses hopeless.
"""

import ipaddress
import math
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents.models import SignInFailure


def client_address(request) -> str:
    """The address a request came from: ``REMOTE_ADDR``, unless that is one of ``TRUSTED_PROXIES``.

    Behind trusted proxies the client is the first hop of ``X-Forwarded-For``, read from the right, that
    is not itself a trusted proxy. Reading from the right matters: each proxy appends the address it was
    reached from, so only the entries our own proxies added are true, and a client may start the header
    with anything it likes (which is never read: the walk stops at the first address not a proxy's, or
    at anything that is not an address).
    """
    client = request.META.get("REMOTE_ADDR", "")
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed(forwarded):
        if not _is_trusted_proxy(client) or _ip(hop) is None:
            break
        client = hop
    return client


def _ip(address: str):
    """The address as an ``ipaddress`` object (IPv4 for an IPv4-mapped IPv6 address), or None."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return getattr(ip, "ipv4_mapped", None) or ip


def _is_trusted_proxy(address: str) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in network for network in settings.TRUSTED_PROXIES)


def counted_address(address: str) -> str:
    """What failures are counted against: the IPv4 address, or the /64 network of an IPv6 address,
    since whoever holds one IPv6 address can usually use all of its /64."""
    ip = _ip(address)
    if ip is None:
        return address[:64]
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class LoginGuard:
    """Counts sign-in attempts per address and per (username, address) within ``LOGIN_FAILURE_WINDOW_SECONDS``.

    An attempt is recorded *before* the password is checked (``admit``) and deleted when it succeeds
    (``succeeded``), so what stays recorded are the failures. Recording first is what holds under
    concurrency: each attempt's row is committed before it counts (the sign-in views are not atomic),
    so of twenty guesses sent at once, the last to count sees all twenty, and those beyond the limit are
    refused without checking a password at all. A refused attempt deletes its row again: refusals are
    not failures, so waiting out the window is enough.
    """

    def __init__(self, request, username: str):
        # Django's sign-in form compares usernames after NFKC normalisation, so the count must too:
        # otherwise "ａｄｍｉｎ" would be a fresh username with fresh attempts that signs in as "admin".
        # NUL is dropped: PostgreSQL cannot store it, and no username contains one.
        self.username = unicodedata.normalize("NFKC", username.replace("\x00", "")).strip().lower()[:150]
        self.address = counted_address(client_address(request))
        self.attempt = None
        self.retry_at = None
        self.refusal = ""

    def admit(self) -> bool:
        """Record this attempt; False (and nothing recorded) when a limit is reached, with ``refusal``
        (the message) and ``retry_at`` (when the next attempt will be admitted) set."""
        now = timezone.now()
        since = now - self.window()  # a failure at ``since`` has just left the window
        SignInFailure.objects.filter(at__lte=since).delete()  # old failures count for nothing
        self.attempt = SignInFailure.objects.create(address=self.address, username=self.username, at=now)
        from_address = SignInFailure.objects.filter(address=self.address, at__gt=since)
        limits = [
            (
                from_address,
                settings.LOGIN_FAILURES_PER_ADDRESS,
                _("Too many failed sign-ins from this address; try again after %(time)s."),
            ),
            (
                from_address.filter(username=self.username),
                settings.LOGIN_FAILURES_PER_USERNAME,
                _("Too many failed sign-ins for this username from this address; try again after %(time)s."),
            ),
        ]
        for failures, limit, message in limits:
            if failures.count() > limit:
                self.succeeded()
                self.retry_at = self.next_admitted(failures, limit, now)
                self.refusal = message % {"time": timezone.localtime(self.retry_at).strftime("%H:%M")}
                return False
        return True

    def succeeded(self) -> None:
        """Delete this attempt's record: a successful sign-in is not a failure."""
        self.attempt.delete()

    def window(self) -> timedelta:
        return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)

    def next_admitted(self, failures, limit: int, now):
        """When the ``limit``-th newest failure leaves the window, fewer than ``limit`` are left in it."""
        oldest_to_leave = failures.order_by("-at").values_list("at", flat=True)[limit - 1 : limit]
        return next(iter(oldest_to_leave), now) + self.window()

    def retry_after(self) -> int:
        """Seconds until ``retry_at``, for the ``Retry-After`` header."""
        return max(1, math.ceil((self.retry_at - timezone.now()).total_seconds()))


def guarded_form_sign_in(request, sign_in, refuse):
    """A sign-in form's POST behind the limits: ``refuse(message)`` answers past one (given 429 and
    Retry-After) without checking the password; otherwise ``sign_in()`` answers, a redirect when it
    signed in and the form again (200) when it failed."""
    guard = LoginGuard(request, request.POST.get("username", ""))
    if not guard.admit():
        response = refuse(guard.refusal)
        response.status_code = 429
        response["Retry-After"] = str(guard.retry_after())
        return response
    response = sign_in()
    if response.status_code != 200:
        guard.succeeded()
    return response


def guarded_admin_login(request, **kwargs):
    """The Django admin's sign-in page behind the same limits."""
    if request.method != "POST":
        return admin.site.login(request, **kwargs)
    return guarded_form_sign_in(
        request,
        sign_in=lambda: admin.site.login(request, **kwargs),
        refuse=lambda message: HttpResponse(message, content_type="text/plain; charset=utf-8"),
    )
