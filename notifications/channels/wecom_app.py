"""企业微信应用消息 (WeCom app messages) through a corp's self-built app.

``GET {base}/cgi-bin/gettoken?corpid=…&corpsecret=…`` gives the app's access token; ``POST {base}/cgi-bin/
message/send`` sends a ``textcard`` (title at most 128 bytes, description 512, a button of at most four
characters) as the app's ``agentid`` to ``touser``. An unknown user is named in ``invaliduser`` (with errcode
0 when others were reached, 81013 when nobody was). The duplicate check (four hours, its longest) drops a
repeat of the very same card.
"""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import tokens
from .base import PermanentError
from .http import fields_of, get_json, judge, post_json, token_of
from .wecom import within

PROVIDER = gettext_lazy("WeCom")
TOKEN_REFUSED = {40014, 42001, 41001}  # invalid, expired, missing access_token
THROTTLED = {45009: 60}  # api freq out of limit
BUSY = {-1, 45033}  # system busy; too many concurrent calls
ALL_INVALID = 81013
TITLE_BYTES, DESCRIPTION_BYTES, BUTTON_CHARACTERS = 128, 512, 4


def base_url(app) -> str:
    return (app.base_url or settings.WECOM_BASE_URL).rstrip("/")


def code_of(answer):
    return fields_of(answer).get("errcode")


def fetch_token(app) -> tuple[str, int]:
    _status, answer = get_json(
        f"{base_url(app)}/cgi-bin/gettoken", params={"corpid": app.app_key, "corpsecret": app.secret}
    )
    judge(answer, code_of(answer), PROVIDER, throttled=THROTTLED, busy=BUSY)
    return token_of(answer, "access_token", "expires_in")


def payload(app, user_id: str, card) -> dict:
    return {
        "touser": user_id,
        "msgtype": "textcard",
        "agentid": app.agent_id,
        "textcard": {
            "title": within(" ".join(card.title.split()), TITLE_BYTES),
            "description": within(card.text, DESCRIPTION_BYTES),
            "url": card.url,
            "btntxt": card.button[:BUTTON_CHARACTERS],
        },
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 4 * 3600,
    }


def invalid_users(answer) -> set[str]:
    return {user for user in str(fields_of(answer).get("invaliduser") or "").split("|") if user}


def send(app, user_id: str, card) -> str:
    base = base_url(app)

    def call(token):
        _status, answer = post_json(
            f"{base}/cgi-bin/message/send", payload(app, user_id, card), params={"access_token": token}
        )
        code = code_of(answer)
        if code in TOKEN_REFUSED:
            raise tokens.TokenRefused
        # WeCom lower-cases the ids it names.
        if code == ALL_INVALID or (code == 0 and user_id.lower() in invalid_users(answer)):
            raise PermanentError(_("WeCom does not know the user ID “%(user)s”.") % {"user": user_id}, str(answer))
        return judge(answer, code, PROVIDER, throttled=THROTTLED, busy=BUSY)

    return tokens.with_token(tokens.cache_key(app, base), lambda: fetch_token(app), call)
