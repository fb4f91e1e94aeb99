"""The work-message apps' access tokens: asked for once, shared by every worker, refreshed once when refused.

Each provider trades an app's key and secret for an access token valid two hours (``expires_in``) and limits
how often one may be asked for, so a token is kept in the ``access_tokens`` cache (Redis in production, the
process's memory in the embedded default) until ``EARLY`` seconds before it expires, and every worker uses it.

The cache key is a fingerprint of the provider, the base URL and the credentials, never the credentials
themselves: a rotated secret is a new key, so its first message fetches a token with the new secret.

When the provider refuses a token (expired early, revoked by a new secret, another deployment's), the token
is dropped only if it is still the one cached, so that a fresh token another worker fetched meanwhile stays,
and a new one is fetched, once: a fresh token refused again is the provider's trouble, tried later like any
transient failure. Two workers that find no token at once both fetch one; the providers allow that (an
earlier token stays valid until it expires), and the later one stays cached.

A cache that cannot be read or written (Redis restarting) never stops delivery: a token is fetched afresh.
"""

import hashlib
import logging
from collections.abc import Callable

from django.core.cache import caches
from django.utils.translation import gettext as _

from .base import TransientError

CACHE = "access_tokens"
# A token is not used in its last five minutes: a message must not arrive with a token that expired on its way.
EARLY = 300
SHORTEST = 60

logger = logging.getLogger(__name__)


class TokenRefused(Exception):
    """The provider refused the access token a request carried (expired or invalid)."""


def cache_key(app, base_url: str) -> str:
    credentials = "\n".join([app.provider, base_url, app.app_key, app.secret])
    return "work-app-token:" + hashlib.sha256(credentials.encode()).hexdigest()[:40]


def cached(key: str) -> str | None:
    try:
        return caches[CACHE].get(key)
    except Exception:
        logger.warning("The access token cache could not be read; fetching a token.", exc_info=True)
        return None


def keep(key: str, token: str, lifetime: int) -> None:
    try:
        caches[CACHE].set(key, token, max(lifetime - EARLY, SHORTEST))
    except Exception:
        logger.warning("The access token cache could not be written.", exc_info=True)


def drop(key: str, token: str) -> None:
    """Forget ``token``, unless another worker already put a fresh one in its place."""
    try:
        if caches[CACHE].get(key) == token:
            caches[CACHE].delete(key)
    except Exception:
        logger.warning("The access token cache could not be updated.", exc_info=True)


def token(key: str, fetch: Callable[[], tuple[str, int]]) -> str:
    found = cached(key)
    if found:
        return found
    fresh, lifetime = fetch()
    keep(key, fresh, lifetime)
    return fresh


def with_token(key: str, fetch: Callable[[], tuple[str, int]], call: Callable[[str], str]) -> str:
    """``call(token)`` with the app's token; when it raises ``TokenRefused``, once more with a fresh token.

    ``fetch()`` returns a new token and its lifetime in seconds, or raises a ``DeliveryError`` (a refused
    key or secret is permanent).
    """
    refused = token(key, fetch)
    try:
        return call(refused)
    except TokenRefused:
        drop(key, refused)
    try:
        return call(token(key, fetch))
    except TokenRefused as error:
        raise TransientError(_("The provider refused a fresh access token.")) from error
