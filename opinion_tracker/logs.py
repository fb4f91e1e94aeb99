"""Structured logs: one JSON object a line when ``LOG_FORMAT=json`` (docs/operations.md, "Logs").

Each line carries the request id (``X-Request-ID``: the one a proxy sent, when it is a plausible id, else one made
here, and sent back on the response; a Celery task's own id in the workers) and, where the line is about one, the
incident, obligation and notification ids (given as ``extra``, as ``notifications.delivery.log_ids`` does). The
message is the one the text format writes, with acknowledgement tokens taken out (``accesslog.redact_tokens``);
the tracker never logs a secret or a provider's token (their URLs stay out: urllib3 is kept at WARNING).
"""

import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.core.signals import request_finished
from django.dispatch import receiver
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from .accesslog import redact_tokens

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="")
IDS = ("incident", "obligation", "notification")
# What a proxy's request id may look like to be kept: a uuid, or any short run of safe characters.
PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    """The request's id for every line logged while it is handled, and on the response for whoever reports it.

    The id is cleared when the request is finished (``request_finished``), not when this middleware returns:
    Django logs a 4xx or 5xx answer (``django.request``) after the middleware chain, and that line belongs to the
    request too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get("X-Request-ID", "")
        request_id = sent if PLAUSIBLE_ID.fullmatch(sent) else uuid.uuid4().hex
        REQUEST_ID.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


@receiver(request_finished)
def forget_the_request_id(**kwargs):
    REQUEST_ID.set("")


class JsonFormatter(BaseJsonFormatter):
    """``{"time", "level", "logger", "message", "request_id", …ids, "exception"}``, one object a line: the ids, like
    any ``extra`` of the record, are fields of their own."""

    def add_fields(self, log_record, record, message_dict):
        super().add_fields(log_record, record, message_dict)
        log_record["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record["request_id"] = REQUEST_ID.get() or None
        if "exc_info" in log_record:
            log_record["exception"] = log_record.pop("exc_info")

    def process_log_record(self, log_record):
        """The fields in a fixed order, the ones that say what happened first; Django's ``request`` extra (the
        request's repr, whose path may hold a token) left out: the request id stands for it."""
        log_record.pop("request", None)
        order = ["time", "level", "logger", "message", "request_id", *IDS]
        return {**{key: log_record[key] for key in order if key in log_record}, **log_record}

    def jsonify_log_record(self, log_record):
        """The line, with acknowledgement tokens taken out of every field, the extras included."""
        return redact_tokens(super().jsonify_log_record(log_record))
