"""Outbound HTTP for the providers: one place for the proxy, the timeouts and how failures are classed.

Government intranets often reach the providers only through a proxy (``OUTBOUND_PROXY``), and
private deployments (专有钉钉, 政务钉钉, an intranet SMS platform) have their own base URLs, set per
provider in the settings. Nothing here logs a URL or a body: both may carry credentials.

A caller that must itself answer in time (a drill, made within a web request) bounds every provider call made
within a block by one deadline (``answered_by``): each call then waits no longer than the time left.
"""

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

import urllib3
from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .base import PermanentError, Throttled, TransientError, UnknownOutcome
from .connections import http_pool

# Every provider call says who calls; JSON bodies are the only kind sent.
REQUEST_HEADERS = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "opinion-tracker"}

# When a throttling provider names no window of its own.
DEFAULT_THROTTLE_SECONDS = 60.0
# The ``time.monotonic()`` moment by which provider calls must be answered, within ``answered_by``.
DEADLINE: ContextVar[float | None] = ContextVar("provider_calls_answered_by", default=None)
# The least a call is given when a deadline is near or past: too short to hang, long enough to be tried.
SHORTEST_WAIT = 0.1


@contextmanager
def answered_by(deadline: float) -> Iterator[None]:
    """Within the block, every provider call (and an email sent with ``bounded(settings.EMAIL_TIMEOUT)``) waits
    at most until ``deadline``, a ``time.monotonic()`` moment, to connect and for the answer; an enclosing
    deadline that comes sooner still holds. The timeouts bound each wait on the socket, so a provider trickling
    its answer byte by byte could still run a little past the deadline."""
    current = DEADLINE.get()
    token = DEADLINE.set(deadline if current is None else min(deadline, current))
    try:
        yield
    finally:
        DEADLINE.reset(token)


def bounded(seconds: float | None) -> float | None:
    """``seconds`` (``None``: no limit of its own), or the time left before the deadline when that is sooner,
    never less than ``SHORTEST_WAIT``."""
    deadline = DEADLINE.get()
    if deadline is None:
        return seconds
    left = deadline - time.monotonic()
    return max(SHORTEST_WAIT, left if seconds is None else min(seconds, left))


def seconds_until(retry_after: str | None) -> float | None:
    """A Retry-After header, given in seconds or as an HTTP date, as seconds from now."""
    if not retry_after:
        return None
    try:
        return max(0.0, float(retry_after))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(retry_after) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


def post_json(url: str, payload, *, params=None, headers=None, data: bytes | None = None) -> tuple[int, object]:
    """POST ``payload`` as JSON (or the raw ``data``); returns the status and the decoded answer.

    Failing to connect is transient: nothing was sent. A timeout waiting for the answer, or the
    connection cut while waiting, leaves the outcome unknown: the provider may have taken the message.
    A 5xx is transient, a 429 is throttling; other statuses are left to the caller, which knows the
    provider's codes.
    """
    return call_json("POST", url, payload, params=params, headers=headers, data=data)


def get_json(url: str, *, params=None) -> tuple[int, object]:
    """GET a JSON answer (an access token): as ``post_json``, except that nothing is sent that an
    unanswered request could have delivered, so a lost answer is only transient."""
    try:
        return call_json("GET", url, None, params=params)
    except UnknownOutcome as error:
        raise TransientError(str(error), error.answer) from error


def call_json(method, url, payload, *, params=None, headers=None, data=None) -> tuple[int, object]:
    if not url.lower().startswith(("http://", "https://")):
        # Never guessed (it would be plain HTTP, with the tokens and signatures in it); the URL itself is not
        # repeated, since it may carry a credential.
        raise TransientError(_("A provider's address in the settings does not start with http:// or https://."))
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    if data is None and payload is not None and method == "POST":
        data = json.dumps(payload, allow_nan=False).encode()
    # Never follow a redirect: it would turn the POST into a GET without the message, answered 2xx. Never retry
    # here either: whether to send again is the caller's decision (the idempotency of each channel).
    # Within ``answered_by``, each timeout is cut to the time left before its deadline.
    connect, read = bounded(settings.OUTBOUND_CONNECT_TIMEOUT), bounded(settings.OUTBOUND_TIMEOUT)
    try:
        with http_pool() as pool:
            response = pool.request(
                method,
                url,
                body=data,
                headers={**REQUEST_HEADERS, **(headers or {})},
                timeout=urllib3.Timeout(connect=connect, read=read),
                redirect=False,
                retries=False,
            )
    except (urllib3.exceptions.HTTPError, ValueError) as error:  # a URL that cannot be used is a ValueError too
        if request_went_out(error):
            raise UnknownOutcome(
                _("The provider did not answer in time; it may have received the message (%(error)s).")
                % {"error": type(error).__name__}
            ) from error
        raise TransientError(
            _("The provider could not be reached: %(error)s") % {"error": type(error).__name__}
        ) from error
    text = decoded(response)
    answer = text[:2000]
    if response.status == 429:
        # Feishu says when its window resets in a header of its own.
        said = response.headers.get("Retry-After") or response.headers.get("x-ogw-ratelimit-reset")
        window = seconds_until(said)
        raise Throttled(_("The provider is throttling."), answer, retry_after=window or DEFAULT_THROTTLE_SECONDS)
    if response.status >= 500:
        raise TransientError(_("The provider answered %(status)s.") % {"status": response.status}, answer)
    try:
        return response.status, json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to decode: read as text
        if response.status >= 400:
            raise PermanentError(_("The provider answered %(status)s.") % {"status": response.status}, answer) from None
        return response.status, answer


def decoded(response) -> str:
    """The answer as text, in the charset its ``Content-Type`` names (an intranet SMS gateway may answer in GBK),
    UTF-8 otherwise."""
    charset = re.search(r"charset=[\"']?([\w.:-]+)", response.headers.get("Content-Type", ""), re.IGNORECASE)
    name = charset.group(1) if charset else "utf-8"
    try:  # a byte-order mark before UTF-8 (some gateways write one) is not part of the answer
        return response.data.decode("utf-8-sig" if name.lower() in {"utf-8", "utf8"} else name, errors="replace")
    except LookupError:  # a charset Python does not know
        return response.data.decode("utf-8-sig", errors="replace")


def request_went_out(error: Exception) -> bool:
    """Whether the request may have been sent when ``error`` struck: a read timeout, or the connection closed while
    the answer was awaited (``ProtocolError``); not a refused or timed-out connect, nor a proxy's or TLS's refusal.
    A TLS handshake that times out is a read timeout to urllib3, so it counts as sent (as it did with requests):
    the cautious side for a group message, which is then not sent again."""
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):  # a refused connection (NewConnectionError) too
        return False
    return isinstance(error, (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError))


def fields_of(answer) -> dict:
    """A provider's JSON answer as a dict (``{}`` for anything else: a text body, a list)."""
    return answer if isinstance(answer, dict) else {}


def token_of(answer, name: str, lifetime: str) -> tuple[str, int]:
    """The access token and its lifetime in a token answer the provider accepted; a token answer without
    a token is the provider's trouble, tried again later."""
    fields = fields_of(answer)
    if not isinstance(fields.get(name), str) or not fields[name]:
        raise TransientError(_("The provider's answer carried no access token."), str(answer)[:200])
    try:
        seconds = int(fields.get(lifetime, 7200))
    except (TypeError, ValueError):
        seconds = 7200
    return fields[name], seconds


def judge(answer, code, provider: "str | Promise", *, throttled: dict, busy=frozenset()) -> str:
    """A robot provider's answer as an outcome: its success code 0 returns the answer; a throttling
    code pauses the destination for the provider's penalty window, a busy code is retried with the
    usual backoff; anything else (a bad key, signature or message) is permanent."""
    if code == 0:
        return str(answer)
    if code in throttled:
        raise Throttled(_("%(provider)s is throttling.") % {"provider": provider}, str(answer), throttled[code])
    if code in busy:
        raise TransientError(_("%(provider)s is busy.") % {"provider": provider}, str(answer))
    raise PermanentError(
        _("%(provider)s refused the message (%(code)s).") % {"provider": provider, "code": code}, str(answer)
    )
