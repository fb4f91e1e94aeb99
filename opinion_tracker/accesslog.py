"""Acknowledgement tokens kept out of the logs: gunicorn's access log, Django's request logs and every line the
console writes.

An acknowledgement link (``/ack/<signed token>/``) acknowledges without signing in: the token is the
credential, valid for days, so whoever reads a log line with it can acknowledge for the leader. The
request line, the path and the ``Referer`` of the page opened next all carry it, and so can an exception's text
in a traceback; each is written with the token replaced by ``[redacted]``.
"""

import functools
import json
import logging
import os
import re
from datetime import UTC, datetime

from django.urls import reverse
from gunicorn import glogging

REDACTED = "[redacted]"
PLACEHOLDER = "TOKEN"


@functools.cache
def token_pattern() -> re.Pattern:
    """The acknowledgement path up to its token, from the URL itself (``notifications:acknowledge``);
    looked up on first use, in a worker whose URLconf is loaded, and kept: every atom of every access
    log line is redacted with it."""
    prefix = reverse("notifications:acknowledge", kwargs={"token": PLACEHOLDER}).split(PLACEHOLDER)[0]
    return re.compile(rf"({re.escape(prefix)})[^/?#\s\"]+")


def redact_tokens(text: str) -> str:
    return token_pattern().sub(rf"\g<1>{REDACTED}", text)


class RedactTokens(logging.Filter):
    """For ``django.request`` ("Not Found: /ack/…/") and ``django.server`` (the request line).

    On the logger, so the record is changed once, before any handler (the console, the administrators'
    mail) formats it. The arguments are formatted into the message first, as every handler would.
    """

    def filter(self, record):
        record.msg, record.args = redact_tokens(record.getMessage()), ()
        return True


class RedactingFormatter(logging.Formatter):
    """Text lines with the tokens taken out of all of the line: the message, and the traceback, whose exception's
    text may quote a link or a provider's answer (``JsonFormatter`` does the same for the JSON lines)."""

    def format(self, record):
        return redact_tokens(super().format(record))


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with every text atom of the access log redacted: the request line (``%(r)s``),
    the path (``%(U)s``), the referer (``%(f)s``) and any header or environment atom (``%({…}i)s``).

    With ``LOG_FORMAT=json`` each access line is a JSON object too, with the request id the tracker answered
    (``opinion_tracker.logs``), so a request's access line and its application lines can be joined."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: redact_tokens(value) if isinstance(value, str) else value for name, value in atoms.items()}

    def access(self, resp, req, environ, request_time):
        if os.environ.get("LOG_FORMAT") != "json":
            return super().access(resp, req, environ, request_time)
        if not self.access_log_enabled:
            return None
        atoms = self.atoms(resp, req, environ, request_time)
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"] or None,
            "status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": round(atoms["D"] / 1000, 1),
            "remote": atoms["h"],
            "user_agent": atoms["a"],
            "request_id": atoms.get("{x-request-id}o") or None,
        }
        self.access_log.info("%s", json.dumps(line, ensure_ascii=False))
        return None
