"""SMS through a configurable HTTP gateway, shaped like the major Chinese cloud SMS APIs.

As there, the signature name (签名) and the template (模板) are approved in advance and the message
is the template filled with parameters; answers carry a ``Code`` (``OK`` or ``isv.…``/``isp.…``).
Requests are signed: HMAC-SHA256 with the access key secret over the method, the path, the timestamp,
a nonce and the SHA-256 of the body, each on its own line, base64-encoded. ``OutId`` carries the
notification id (a drill's message its own key), which the gateway uses to drop a message it has already sent.
"""

import base64
import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opinion_tracker.lib.beijing import BEIJING

from ..steps import step_label
from .base import Channel, PermanentError, Throttled, TransientError
from .http import post_json

NOT_CONFIGURED = gettext_lazy("No SMS gateway is configured.")
NO_PHONE = gettext_lazy("No mobile phone number.")
# Per-number caps of the provider (hourly, daily): worth trying again in an hour.
THROTTLED = {"isv.BUSINESS_LIMIT_CONTROL": 3600, "Throttling.User": 60}


def signature(secret: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = "\n".join(["POST", path, timestamp, nonce, hashlib.sha256(body).hexdigest()]).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def template_parameters(notification) -> dict:
    """Short values in words: templates cap each parameter (commonly at 35 characters)."""
    obligation = notification.obligation
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "title": notification.incident.title[:20],
            "obligation": obligation.get_kind_display(),
            "due": timezone.localtime(obligation.due_at, BEIJING).strftime("%m-%d %H:%M"),
            "step": step_label(notification.step)[:20],
        }


class SmsChannel(Channel):
    repeats_after_unknown = None  # the gateway drops an OutId it has already sent

    def unreachable(self, person, directory=None):
        if not settings.SMS_GATEWAY_URL:
            return NOT_CONFIGURED
        return None if person.phone else NO_PHONE

    def send(self, notification) -> str:
        return self.post(notification, template_parameters(notification))

    def send_digest(self, notifications) -> str:
        """The number's last message of the day carries all that waits for it."""
        first = min(notifications, key=lambda n: n.obligation.due_at)
        parameters = template_parameters(first)
        parameters["title"] = _("%(count)d reminders, first: %(title)s") % {
            "count": len(notifications),
            "title": first.incident.title[:10],
        }
        # A digest is a message of its own: its idempotency key must not be any member's, or a gateway
        # that already sent that member would drop the whole digest as a repeat.
        ids = ",".join(str(pk) for pk in sorted(n.pk for n in notifications))
        return self.post(first, parameters, out_id="digest-" + hashlib.sha256(ids.encode()).hexdigest()[:32])

    def post(self, notification, parameters, out_id=None) -> str:
        reason = self.unreachable(notification.recipient)
        if reason:
            raise PermanentError(str(reason))
        return self.send_to(notification.recipient.phone, parameters, out_id or str(notification.pk))

    def send_to(self, phone: str, parameters: dict, out_id: str) -> str:
        """The template filled with ``parameters`` to ``phone``; ``out_id`` is the gateway's idempotency key.
        Returns the gateway's ``BizId``."""
        if not settings.SMS_GATEWAY_URL:
            raise PermanentError(str(NOT_CONFIGURED))
        body = json.dumps(
            {
                "PhoneNumbers": phone,
                "SignName": settings.SMS_SIGN_NAME,
                "TemplateCode": settings.SMS_TEMPLATE_CODE,
                "TemplateParam": json.dumps(parameters, ensure_ascii=False),
                "OutId": out_id,
            },
            ensure_ascii=False,
        ).encode()
        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex
        path = urlsplit(settings.SMS_GATEWAY_URL).path or "/"
        headers = {
            "X-Sms-Access-Key-Id": settings.SMS_ACCESS_KEY_ID,
            "X-Sms-Timestamp": timestamp,
            "X-Sms-Nonce": nonce,
            "X-Sms-Signature": signature(settings.SMS_ACCESS_KEY_SECRET, path, timestamp, nonce, body),
        }
        _status, answer = post_json(settings.SMS_GATEWAY_URL, None, data=body, headers=headers)
        fields = answer if isinstance(answer, dict) else {}
        code = fields.get("Code")
        if code == "OK":
            return str(fields.get("BizId", ""))
        if code in THROTTLED:
            raise Throttled(_("The SMS gateway is throttling this number."), str(answer), THROTTLED[code])
        if isinstance(code, str) and code.startswith("isp."):
            raise TransientError(_("The SMS gateway failed (%(code)s).") % {"code": code}, str(answer))
        raise PermanentError(_("The SMS gateway refused the message (%(code)s).") % {"code": code}, str(answer))
