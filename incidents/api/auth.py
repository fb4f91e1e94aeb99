"""Signing in for an API token or a browser session, with failed attempts limited (``incidents.signin``)."""

from django.contrib.auth import authenticate, login, logout
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents.signin import LoginGuard
from opinion_tracker.lib.api.views import ServiceShellMixin

from .organisation import PersonSerializer
from .permissions import IntakeOnly


class Credentials(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, style={"input_type": "password"}, trim_whitespace=False)


def authenticate_or_refuse(request, credentials: dict):
    guard = LoginGuard(request, credentials["username"])
    if not guard.admit():
        raise Throttled(wait=guard.retry_after(), detail=guard.refusal)
    person = authenticate(request, **credentials)
    if person is None:
        raise AuthenticationFailed(_("The username or password is wrong."))
    guard.succeeded()
    return person


class TokenView(ServiceShellMixin, APIView):
    """Exchange a username and password for the person's API token (``Authorization: Token …``)."""

    # Token authentication only, so a wrong password answers 401 with ``WWW-Authenticate: Token``.
    authentication_classes = [TokenAuthentication]
    permission_classes = [IntakeOnly]  # open to anyone, but an integration token is for the intake alone

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
        if self.request.method in ("POST", "GET"):
            return [IntakeOnly()]
        return [IsAuthenticated(), IntakeOnly()]

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
