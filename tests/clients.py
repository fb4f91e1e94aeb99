"""Helpers for API and page tests: a client signed in with a person's token, or with their session."""

from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def client_for(person, language=None) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=person)[0].key}")
    if language:
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


def post_as(person, path, body=None):
    """POST ``body`` as JSON to ``path``, signed in as ``person``."""
    return client_for(person).post(path, body or {}, format="json")


def get_as(person, path, params=None):
    return client_for(person).get(path, params or {})


def browser_for(person) -> Client:
    """Django's test client, signed in as ``person`` (for the pages)."""
    client = Client()
    client.force_login(person)
    return client
