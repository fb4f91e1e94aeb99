"""Signing in for an API token or a browser session, with failed attempts limited.

Failures are counted per username and per client address in the cache (shared by all workers when
the cache is Redis, see ``CACHE_URL``); once either count reaches its limit, every attempt is
refused with 429 until the window ends, right password or not, so guessing gains nothing.
"""

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .base import ServiceShellMixin
from .organisation import PersonSerializer


class Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"}, trim_whitespace=False)


class LoginGuard:
    """Counts failed sign-ins per username and per address within ``LOGIN_FAILURE_WINDOW_SECONDS``."""

    def __init__(self, request, username: str):
        address = request.META.get("REMOTE_ADDR", "")
        self.keys = {
            f"login-failures:user:{username.strip().lower()}": settings.LOGIN_FAILURES_PER_USERNAME,
            f"login-failures:addr:{address}": settings.LOGIN_FAILURES_PER_ADDRESS,
        }

    def check(self) -> None:
        counts = cache.get_many(self.keys)
        if any(counts.get(key, 0) >= limit for key, limit in self.keys.items()):
            raise Throttled(
                wait=settings.LOGIN_FAILURE_WINDOW_SECONDS,
                detail=_("Too many failed sign-ins; try again later."),
            )

    def failed(self) -> None:
        for key in self.keys:
            # add() starts the window; incr() keeps its expiry, so the window is fixed from the first failure.
            if not cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def authenticate_or_refuse(request, credentials: dict):
    guard = LoginGuard(request, credentials["username"])
    guard.check()
    person = authenticate(request, **credentials)
    if person is None:
        guard.failed()
        raise AuthenticationFailed(_("The username or password is wrong."))
    return person


class TokenView(ServiceShellMixin, APIView):
    """Exchange a username and password for the person's API token (``Authorization: Token …``)."""

    # Token authentication only, so a wrong password answers 401 with ``WWW-Authenticate: Token``.
    authentication_classes = [TokenAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(
        request=Credentials,
        responses={200: inline_serializer("TokenAnswer", {"token": serializers.CharField()})},
        auth=[],
    )
    def post(self, request):
        person = authenticate_or_refuse(request, self.valid(Credentials, request))
        token, _created = Token.objects.get_or_create(user=person)
        return Response({"token": token.key})


class SessionView(ServiceShellMixin, APIView):
    """A browser session: GET shows who is signed in (and sets the CSRF cookie), POST signs in, DELETE out.

    Signing in checks the CSRF token like any other session request, so another site cannot sign a
    browser in to an account of its choosing.
    """

    def get_permissions(self):
        return [AllowAny()] if self.request.method in ("POST", "GET") else [IsAuthenticated()]

    @extend_schema(responses={200: PersonSerializer})
    def get(self, request):
        get_token(request)
        if not request.user.is_authenticated:
            raise AuthenticationFailed(_("Not signed in."))
        return self.respond(PersonSerializer, request.user)

    @extend_schema(request=Credentials, responses={200: PersonSerializer}, auth=[])
    def post(self, request):
        SessionAuthentication().enforce_csrf(request)
        person = authenticate_or_refuse(request, self.valid(Credentials, request))
        login(request, person)
        return self.respond(PersonSerializer, person)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
