"""A generic outbound webhook, for other government systems: JSON, signed, one POST per notification.

``X-Opinion-Tracker-Signature: sha256=<hex>`` is HMAC-SHA256 of the body with the shared secret;
``X-Opinion-Tracker-Delivery`` is the notification id, the same on every retry (an idempotency key);
``X-Opinion-Tracker-Event`` says what the body is: ``escalation``, or ``drill`` for a drill's test message.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .base import Channel, PermanentError, TransientError
from .http import post_json

NOT_CONFIGURED = gettext_lazy("No outbound webhook is configured.")


def payload(notification) -> dict:
    incident, obligation, person = notification.incident, notification.obligation, notification.recipient
    return {
        "id": notification.pk,
        "event": "escalation",
        "step": notification.step,
        "step_at": notification.step_at,
        "incident": {
            "id": incident.pk,
            "title": incident.title,
            "severity": incident.severity,
            "department": incident.department.code,
        },
        "obligation": {"id": obligation.pk, "kind": obligation.kind, "due_at": obligation.due_at},
        "recipient": {"id": person.pk, "username": person.username, "name": str(person), "phone": person.phone},
    }


class WebhookChannel(Channel):
    repeats_after_unknown = None  # receivers drop a delivery id they have already taken
    sent_in_batches = True

    def unreachable(self, person, directory=None):
        return None if settings.OUTBOUND_WEBHOOK_URL else NOT_CONFIGURED

    def send(self, notification) -> str:
        return post_payload(payload(notification), str(notification.pk), "escalation")


def post_payload(content: dict, delivery: str, event: str) -> str:
    """POST ``content`` to the configured receiver, signed, as ``event`` with the delivery id ``delivery`` (the
    receiver's idempotency key); returns the receiver's answer."""
    if not settings.OUTBOUND_WEBHOOK_URL:
        raise PermanentError(str(NOT_CONFIGURED))
    body = json.dumps(content, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    digest = hmac.new(settings.OUTBOUND_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "X-Opinion-Tracker-Signature": f"sha256={digest}",
        "X-Opinion-Tracker-Delivery": delivery,
        "X-Opinion-Tracker-Event": event,
    }
    status, answer = post_json(settings.OUTBOUND_WEBHOOK_URL, None, data=body, headers=headers)
    if 200 <= status < 300:
        return str(answer)[:2000]
    if status == 408:
        raise TransientError(_("The webhook receiver timed out."), str(answer))
    raise PermanentError(_("The webhook receiver answered %(status)s.") % {"status": status}, str(answer))
