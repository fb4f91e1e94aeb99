"""Feishu (飞书) custom bot, with its signature.

The signature is HMAC-SHA256 keyed with ``timestamp + "\\n" + secret`` (timestamp in seconds) over
an empty message, base64-encoded, sent as ``sign`` with ``timestamp`` in the JSON body. A custom bot
cannot @-mention by mobile number, so the recipient is named in the text.
"""

import base64
import hashlib
import hmac
import time

from django.conf import settings
from django.utils.translation import gettext as _

from .http import judge, post_json

# 11232 and 9499: frequency limited (5 a second, 100 a minute).
THROTTLED = {11232: 60, 9499: 60}


def sign(secret: str, timestamp_s: int) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def send(robot, title: str, text: str, mobiles: list[str]) -> str:
    payload = {"msg_type": "text", "content": {"text": f"{title}\n\n{text}"}}
    if robot.secret:
        timestamp = int(time.time())
        payload.update(timestamp=str(timestamp), sign=sign(robot.secret, timestamp))
    url = f"{settings.FEISHU_BASE_URL.rstrip('/')}/open-apis/bot/v2/hook/{robot.token}"
    _status, answer = post_json(url, payload)
    code = answer.get("code", answer.get("StatusCode")) if isinstance(answer, dict) else None
    return judge(answer, code, _("Feishu"), throttled=THROTTLED)
