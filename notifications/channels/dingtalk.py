"""DingTalk (钉钉) custom group robot, with 加签.

The signature is HMAC-SHA256 keyed with the secret over ``timestamp + "\\n" + secret`` (timestamp in
milliseconds), base64-encoded, and sent URL-encoded as ``sign`` with ``timestamp`` in the query. The
robot @-mentions a person by mobile number: in ``at.atMobiles`` and as ``@number`` in the text.
"""

import base64
import hashlib
import hmac
import time

from django.conf import settings
from django.utils.translation import gettext as _

from .http import judge, post_json

# 130101: "send too fast, exceed 20 times per minute", after which DingTalk refuses the robot for
# 10 minutes; -1: "系统繁忙".
THROTTLED = {130101: 600}
BUSY = {-1}


def sign(secret: str, timestamp_ms: int) -> str:
    message = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def send(robot, title: str, text: str, mobiles: list[str]) -> str:
    params = {"access_token": robot.token}
    if robot.secret:
        timestamp = int(time.time() * 1000)
        params.update(timestamp=timestamp, sign=sign(robot.secret, timestamp))
    mention = "".join(f" @{mobile}" for mobile in mobiles)
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": title[:64], "text": f"### {title}\n\n{text}\n\n{mention}".rstrip()},
        "at": {"atMobiles": mobiles, "isAtAll": False},
    }
    _status, answer = post_json(f"{settings.DINGTALK_BASE_URL.rstrip('/')}/robot/send", payload, params=params)
    code = answer.get("errcode") if isinstance(answer, dict) else None
    return judge(answer, code, _("DingTalk"), throttled=THROTTLED, busy=BUSY)
