"""钉钉工作通知 (DingTalk work notices) through a corp's internal app.

``GET {base}/gettoken?appkey=…&appsecret=…`` gives the app's access token; ``POST {base}/topapi/message/
corpconversation/asyncsend_v2`` sends an ``action_card`` as the app's ``agent_id`` to a ``userid_list`` (the
whole ``msg`` within 2,048 bytes). The send is asynchronous: it answers with a ``task_id`` even for an unknown
user. So the channel waits for the task (``getsendprogress``, status 2 is done; a few short polls, about two
seconds at most) and then reads ``getsendresult``: an unknown user is in ``invalid_user_id_list``, and the
people DingTalk's limits held back are in ``forbidden_list`` with the limit's code (not sent, except 143106:
the person already has this very message today). A task not done in time, or a result not readable, leaves
the message sent: the send itself was taken. The base URL is the app's own for 政务钉钉/专有钉钉.
"""

import json
import time
from datetime import datetime, timedelta
from datetime import time as clock

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from opinion_tracker.lib.beijing import BEIJING

from . import tokens
from .base import DeliveryError, PermanentError, Throttled, TransientError
from .http import fields_of, get_json, judge, post_json, token_of
from .wecom import within

PROVIDER = gettext_lazy("DingTalk")
TOKEN_REFUSED = {40014, 42001, 41001}  # invalid, expired, missing access_token
# 143103/143104: the app's or the corp's messages per minute (as the answer to the send, or per person in the
# task's result, as 143203/143204 for a third-party app).
THROTTLED = {143103: 60, 143104: 60}
BUSY = {-1, 1430003}  # system busy; OAPI system protection
DAILY_CAP = {"143105", "143205"}  # the person's messages of the day (500 for an internal app)
ALREADY_SENT = {"143106", "143206"}  # the person already has this very message today
MSG_BYTES = 2048
DONE = 2
PROGRESS_POLLS, POLL_PAUSE_SECONDS = 8, 0.25


def base_url(app) -> str:
    return (app.base_url or settings.DINGTALK_BASE_URL).rstrip("/")


def code_of(answer):
    return fields_of(answer).get("errcode")


def fetch_token(app) -> tuple[str, int]:
    _status, answer = get_json(f"{base_url(app)}/gettoken", params={"appkey": app.app_key, "appsecret": app.secret})
    judge(answer, code_of(answer), PROVIDER, throttled=THROTTLED, busy=BUSY)
    return token_of(answer, "access_token", "expires_in")


def until_tomorrow() -> float:
    """Seconds to the next Beijing midnight, when DingTalk's daily count starts again."""
    today = timezone.localtime(timezone.now(), BEIJING).date()
    midnight = datetime.combine(today + timedelta(days=1), clock(0), tzinfo=BEIJING)
    return (midnight - timezone.now()).total_seconds()


def payload(app, user_id: str, card) -> dict:
    """The notice, its ``msg`` cut to DingTalk's 2,048 bytes (as sent: JSON, escapes included)."""
    markdown = f"### {card.title}\n\n" + card.text.replace("\n", "  \n")
    action_card = {"title": card.title[:64], "markdown": markdown, "single_title": card.button, "single_url": card.url}
    msg = {"msgtype": "action_card", "action_card": action_card}
    while (over := len(json.dumps(msg, ensure_ascii=False).encode()) - MSG_BYTES) > 0:
        action_card["markdown"] = within(action_card["markdown"], len(action_card["markdown"].encode()) - over)
    return {"agent_id": app.agent_id, "userid_list": user_id, "msg": msg}


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
        check_result(base, params, app, fields_of(answer).get("task_id"), user_id)
        return str(answer)

    return tokens.with_token(tokens.cache_key(app, base), lambda: fetch_token(app), call)


def task_query(base, params, app, task_id, endpoint) -> dict | None:
    """The answer of ``getsendprogress`` or ``getsendresult`` for the task, or ``None`` when there is none."""
    try:
        _status, answer = post_json(
            f"{base}/topapi/message/corpconversation/{endpoint}",
            {"agent_id": app.agent_id, "task_id": task_id},
            params=params,
        )
    except DeliveryError:
        return None  # the message went out; only what became of it could not be read
    return answer if isinstance(answer, dict) and code_of(answer) == 0 else None


def task_done(base, params, app, task_id) -> bool:
    """Whether DingTalk finished the task within a few short polls (it usually has at the first)."""
    for poll in range(PROGRESS_POLLS):
        answer = task_query(base, params, app, task_id, "getsendprogress")
        if answer is None:
            return False
        if (answer.get("progress") or {}).get("status") == DONE:
            return True
        if poll < PROGRESS_POLLS - 1:
            time.sleep(POLL_PAUSE_SECONDS)  # a delivery worker waits a moment for the person's outcome
    return False


def check_result(base, params, app, task_id, user_id) -> None:
    """Raise for a user the task could not reach; return when it reached them or nothing says otherwise."""
    if not task_done(base, params, app, task_id):
        return
    answer = task_query(base, params, app, task_id, "getsendresult")
    result = answer.get("send_result") if answer else None
    if not isinstance(result, dict):
        return
    if user_id in (result.get("invalid_user_id_list") or []):
        raise PermanentError(_("DingTalk does not know the user ID “%(user)s”.") % {"user": user_id}, str(answer))
    forbidden = {entry.get("userid"): str(entry.get("code")) for entry in result.get("forbidden_list") or []}
    if user_id in (result.get("forbidden_user_id_list") or []) or user_id in forbidden:
        code = forbidden.get(user_id, "")
        if code in ALREADY_SENT:
            return
        if code in DAILY_CAP:
            raise Throttled(_("DingTalk's daily limit for this person is reached."), str(answer), until_tomorrow())
        raise Throttled(_("DingTalk held the message back for its rate limit."), str(answer), 60)
    if user_id in (result.get("failed_user_id_list") or []):
        raise TransientError(_("DingTalk could not deliver the message."), str(answer))
