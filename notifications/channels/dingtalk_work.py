"""钉钉工作通知 (DingTalk work notices) through a corp's internal app.

``GET {base}/gettoken?appkey=…&appsecret=…`` gives the app's access token; ``POST {base}/topapi/message/
corpconversation/asyncsend_v2`` sends an ``action_card`` as the app's ``agent_id`` to a ``userid_list``. The
send is asynchronous: it answers with a ``task_id``, and who the message could not reach is told by
``getsendresult`` (``invalid_user_id_list``, and ``forbidden_list`` for DingTalk's own limits: one identical
message per person per day, 500 messages per person per day). The result is read once, at once; a result
not ready yet, or not readable, leaves the message sent. The base URL is the app's own for 政务钉钉/专有钉钉.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from opinion_tracker.lib.beijing import BEIJING

from . import tokens
from .base import DeliveryError, PermanentError, Throttled, TransientError
from .http import get_json, judge, post_json

PROVIDER = _("DingTalk")
TOKEN_REFUSED = {40014, 42001, 41001}  # invalid, expired, missing access_token
# 143103/143104: the app's or the corp's messages per minute; 143105: the person's 500 a day.
THROTTLED = {143103: 60, 143104: 60}
BUSY = {-1, 1430003}  # system busy; OAPI system protection
DAILY_CAP = "143105"
ALREADY_SENT = "143106"  # the person already has this message today


def base_url(app) -> str:
    return (app.base_url or settings.DINGTALK_BASE_URL).rstrip("/")


def code_of(answer):
    return answer.get("errcode") if isinstance(answer, dict) else None


def fetch_token(app) -> tuple[str, int]:
    _status, answer = get_json(f"{base_url(app)}/gettoken", params={"appkey": app.app_key, "appsecret": app.secret})
    judge(answer, code_of(answer), PROVIDER, throttled=THROTTLED, busy=BUSY)
    return answer["access_token"], int(answer.get("expires_in", 7200))


def until_tomorrow() -> float:
    """Seconds to the next Beijing midnight, when DingTalk's daily count starts again."""
    today = timezone.localtime(timezone.now(), BEIJING).date()
    midnight = datetime.combine(today + timedelta(days=1), time(0), tzinfo=BEIJING)
    return (midnight - timezone.now()).total_seconds()


def payload(app, user_id: str, card) -> dict:
    return {
        "agent_id": app.agent_id,
        "userid_list": user_id,
        "msg": {
            "msgtype": "action_card",
            "action_card": {
                "title": card.title[:64],
                "markdown": f"### {card.title}\n\n" + card.text.replace("\n", "  \n"),
                "single_title": card.button,
                "single_url": card.url,
            },
        },
    }


def send(app, user_id: str, card) -> str:
    base = base_url(app)

    def call(token):
        params = {"access_token": token}
        _status, answer = post_json(
            f"{base}/topapi/message/corpconversation/asyncsend_v2", payload(app, user_id, card), params=params
        )
        if code_of(answer) in TOKEN_REFUSED:
            raise tokens.TokenRefused
        judge(answer, code_of(answer), PROVIDER, throttled=THROTTLED, busy=BUSY)
        check_result(base, params, app, answer.get("task_id"), user_id)
        return str(answer)

    return tokens.with_token(tokens.cache_key(app, base), lambda: fetch_token(app), call)


def check_result(base, params, app, task_id, user_id) -> None:
    """Raise for a user the task could not reach; return when it reached them or nothing says otherwise."""
    try:
        _status, answer = post_json(
            f"{base}/topapi/message/corpconversation/getsendresult",
            {"agent_id": app.agent_id, "task_id": task_id},
            params=params,
        )
    except DeliveryError:
        return  # the message went out; only its result could not be read
    result = answer.get("send_result") if isinstance(answer, dict) and code_of(answer) == 0 else None
    if not isinstance(result, dict):
        return
    if user_id in (result.get("invalid_user_id_list") or []):
        raise PermanentError(_("DingTalk does not know the user ID “%(user)s”.") % {"user": user_id}, str(answer))
    forbidden = {entry.get("userid"): str(entry.get("code")) for entry in result.get("forbidden_list") or []}
    if user_id in forbidden and forbidden[user_id] == DAILY_CAP:
        raise Throttled(_("DingTalk's daily limit for this person is reached."), str(answer), until_tomorrow())
    if user_id in (result.get("failed_user_id_list") or []):
        raise TransientError(_("DingTalk could not deliver the message."), str(answer))
