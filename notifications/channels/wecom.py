"""WeCom (企业微信) group robot: the key is in the webhook address.

A text message, which is what can @-mention by mobile number (``mentioned_mobile_list``), within
its limit of 2,048 bytes of UTF-8.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from .http import judge, post_json

TEXT_LIMIT_BYTES = 2048
# 45009: "api freq out of limit" (20 per minute); -1: system busy.
THROTTLED = {45009: 60}
BUSY = {-1}


def within(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never in the middle of a character."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode(errors="ignore") + "…"


def send(robot, title: str, text: str, mobiles: list[str]) -> str:
    payload = {
        "msgtype": "text",
        "text": {
            "content": within(f"{title}\n\n{text}", TEXT_LIMIT_BYTES),
            "mentioned_mobile_list": mobiles,
        },
    }
    url = f"{settings.WECOM_BASE_URL.rstrip('/')}/cgi-bin/webhook/send"
    _status, answer = post_json(url, payload, params={"key": robot.token})
    code = answer.get("errcode") if isinstance(answer, dict) else None
    return judge(answer, code, _("WeCom"), throttled=THROTTLED, busy=BUSY)
