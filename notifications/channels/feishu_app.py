"""飞书 app messages (Feishu) through a tenant's self-built app.

``POST {base}/open-apis/auth/v3/tenant_access_token/internal`` gives the tenant access token; ``POST {base}/
open-apis/im/v1/messages?receive_id_type=user_id`` with ``Authorization: Bearer …`` sends an ``interactive``
card (its ``content`` a JSON string) whose button opens the link. Feishu answers errors with a 4xx status
and a JSON ``code``; throttling is a 429 saying in ``x-ogw-ratelimit-reset`` when its window ends. The
``uuid`` makes Feishu drop a repeat of a message it already has (within an hour).
"""

import json

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import tokens
from .base import PermanentError
from .http import fields_of, judge, post_json, token_of

PROVIDER = gettext_lazy("Feishu")
# 99991661: no token; 99991663: invalid token; 99991668, 99991677: token expired.
TOKEN_REFUSED = {99991661, 99991663, 99991668, 99991677}
THROTTLED = {99991400: 60, 230020: 60}  # the app's request rate; the per-person message rate
BUSY = {1500, 230011}  # internal error; "send message failed, please retry"
BAD_RECEIVER = {230013, 230053}  # the bot cannot reach the user; the user stopped it
INVALID_PARAMETER = 230001  # with "ext=invalid receive_id" when the user id is unknown


def base_url(app) -> str:
    return (app.base_url or settings.FEISHU_BASE_URL).rstrip("/")


def code_of(answer):
    return fields_of(answer).get("code")


def fetch_token(app) -> tuple[str, int]:
    url = f"{base_url(app)}/open-apis/auth/v3/tenant_access_token/internal"
    _status, answer = post_json(url, {"app_id": app.app_key, "app_secret": app.secret})
    judge(answer, code_of(answer), PROVIDER, throttled=THROTTLED, busy=BUSY)
    return token_of(answer, "tenant_access_token", "expire")


def card_content(card) -> str:
    content = {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": card.title}, "template": "red"},
        "elements": [
            {"tag": "div", "text": {"tag": "plain_text", "content": card.text}},
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": card.button},
                        "url": card.url,
                        "type": "primary",
                    }
                ],
            },
        ],
    }
    return json.dumps(content, ensure_ascii=False)


def payload(user_id: str, card) -> dict:
    message = {"receive_id": user_id, "msg_type": "interactive", "content": card_content(card)}
    if card.key:
        message["uuid"] = card.key[:50]
    return message


def send(app, user_id: str, card) -> str:
    base = base_url(app)

    def call(token):
        _status, answer = post_json(
            f"{base}/open-apis/im/v1/messages",
            payload(user_id, card),
            params={"receive_id_type": "user_id"},
            headers={"Authorization": f"Bearer {token}"},
        )
        code = code_of(answer)
        if code in TOKEN_REFUSED:
            raise tokens.TokenRefused
        said = str(fields_of(answer).get("msg", ""))
        if code in BAD_RECEIVER or (code == INVALID_PARAMETER and "receive_id" in said):
            raise PermanentError(_("Feishu cannot reach the user ID “%(user)s”.") % {"user": user_id}, str(answer))
        return judge(answer, code, PROVIDER, throttled=THROTTLED, busy=BUSY)

    return tokens.with_token(tokens.cache_key(app, base), lambda: fetch_token(app), call)
