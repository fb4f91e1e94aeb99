"""Real HTTP receivers on 127.0.0.1 that behave like the work-message apps' servers: DingTalk
work notices (corpconversation), WeCom app messages and Feishu app messages, each with its token
endpoint. They check every request as the providers document it and answer with the providers' own
success and error bodies, so a wrong request from the tracker is refused as the provider would
refuse it.

Choices where the documentation leaves room:

- A token is fresh on every issue and older unexpired ones stay valid (the providers may hand back
  the same token while it lives; a fresh one makes a tracker that fetches too often visible).
- Feishu: an unknown or missing tenant token is answered with 99991663, an expired one with
  99991677; its token endpoint answers a bad app id or secret with HTTP 400.
- WeCom: a missing textcard field is answered with 44004 "empty content", a bad one with 40058
  "invalid parameter <field>".
- DingTalk: a missing agent_id is a missing parameter (40035), another app's agent_id is 40056.

All clocks are ``time.time()``, so a test that moves time with time_machine moves them too.
"""

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BEIJING_OFFSET = 8 * 3600
DINGTALK_MAX_USERS = 5000
WECOM_MAX_USERS = 1000
WECOM_MAX_DUPLICATE_INTERVAL = 14400
WECOM_DEFAULT_DUPLICATE_INTERVAL = 1800
FEISHU_UUID_WINDOW = 3600
FEISHU_MAX_UUID = 50
DEFAULT_THROTTLE_WINDOW = 60

DINGTALK_BAD_APP = {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
DINGTALK_BAD_TOKEN = {"errcode": 40014, "errmsg": "不合法的access_token"}
DINGTALK_EXPIRED_TOKEN = {"errcode": 42001, "errmsg": "access_token超时"}
DINGTALK_BAD_AGENT = {"errcode": 40056, "errmsg": "不合法的agentid"}
DINGTALK_TOO_FAST = {"errcode": 143103, "errmsg": "企业单应用消息发送人次QPM超限"}
DINGTALK_SAME_CONTENT = "143106"
WECOM_BAD_CORP = {"errcode": 40013, "errmsg": "invalid corpid"}
WECOM_BAD_SECRET = {"errcode": 40001, "errmsg": "invalid credential"}
WECOM_NO_TOKEN = {"errcode": 41001, "errmsg": "access_token missing"}
WECOM_BAD_TOKEN = {"errcode": 40014, "errmsg": "invalid access_token"}
WECOM_EXPIRED_TOKEN = {"errcode": 42001, "errmsg": "access_token expired"}
WECOM_OTHER_AGENT = {"errcode": 301002, "errmsg": "not allow operate another agent with this accesstoken."}
WECOM_EMPTY = {"errcode": 44004, "errmsg": "empty content"}
WECOM_TOO_FAST = {"errcode": 45009, "errmsg": "api freq out of limit"}
WECOM_NOBODY = {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
FEISHU_BAD_APP = {"code": 10003, "msg": "invalid param"}
FEISHU_BAD_SECRET = {"code": 10014, "msg": "app secret invalid"}
FEISHU_BAD_TOKEN = {
    "code": 99991663,
    "msg": "Invalid access token for authorization. Please make a request with token attached.",
}
FEISHU_EXPIRED_TOKEN = {"code": 99991677, "msg": "Authentication token expired"}
FEISHU_TOO_FAST = {"code": 99991400, "msg": "request trigger frequency limit"}
NO_SUCH_ENDPOINT = {"error": "no such endpoint"}


def _ok(answer: dict) -> tuple[int, dict, dict]:
    return 200, answer, {}


def _feishu_bad(ext: str) -> tuple[int, dict, dict]:
    return 400, {"code": 230001, "msg": f"Your request contains an invalid request parameter, ext={ext}."}, {}


def _dingtalk_missing(name: str) -> tuple[int, dict, dict]:
    return _ok({"errcode": 40035, "errmsg": f"缺少参数 {name}"})


def _wecom_invalid(name: str) -> tuple[int, dict, dict]:
    return _ok({"errcode": 40058, "errmsg": f"invalid parameter {name}"})


def _text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _web_url(value) -> bool:
    if not isinstance(value, str):
        return False
    url = urlsplit(value)
    return url.scheme in ("http", "https") and bool(url.netloc)


def _ids(value: str, separator: str) -> list[str]:
    """The distinct ids of a separated list, in order (a repeated id is sent to once)."""
    return list(dict.fromkeys(part.strip() for part in value.split(separator) if part.strip()))


def _same(value) -> str:
    """A canonical form of a message's content, so identical content compares equal."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@dataclass
class _Token:
    provider: str
    app: str  # DingTalk appkey, WeCom corpid, Feishu app_id
    agent: int | None  # the app's agent id (DingTalk, WeCom)
    expires_at: float
    expired: bool = False


@dataclass
class WorkProviders:
    """What the receivers know (apps, secrets, users) and what they received and delivered.

    Faults: ``throttle`` answers that many message requests of a provider with its rate-limit body,
    ``throttle_until`` does so until that time (epoch seconds); Feishu's answer then says to wait
    ``throttle_window`` seconds. ``expire_tokens`` and ``revoke_tokens`` spoil the tokens issued so far.

    ``received`` holds (provider, method, path, query, headers, body) of every request: query values
    are the first given, body is the parsed JSON (the raw text if it is not JSON, None if empty).
    ``delivered`` holds (provider, user id, request body) for each user a message reached.
    """

    dingtalk_apps: dict = field(default_factory=dict)  # appkey → (appsecret, agent_id)
    wecom_apps: dict = field(default_factory=dict)  # corpid → {corpsecret: agentid}
    feishu_apps: dict = field(default_factory=dict)  # app_id → app_secret
    users: dict = field(default_factory=dict)  # provider → set of user ids that exist
    token_lifetime: int = 7200
    throttle: dict = field(default_factory=dict)  # provider → message requests still to throttle
    throttle_until: dict = field(default_factory=dict)  # provider → epoch seconds
    throttle_window: dict = field(default_factory=dict)  # provider → seconds to wait (Feishu)
    token_requests: dict = field(default_factory=dict)  # provider → tokens issued
    # DingTalk sends asynchronously: this many getsendprogress queries of a task say "in progress" (its
    # getsendresult is empty until then); dingtalk_forbid names users its limits refuse, with the code.
    dingtalk_pending_polls: int = 0
    dingtalk_forbid: dict = field(default_factory=dict)  # user id → forbidden_list code
    received: list = field(default_factory=list)
    delivered: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _tokens: dict = field(default_factory=dict, init=False, repr=False)  # token → _Token
    _tasks: dict = field(default_factory=dict, init=False, repr=False)  # DingTalk task_id → result
    _dingtalk_seen: set = field(default_factory=set, init=False, repr=False)  # (app, user, day, msg)
    _wecom_sent: dict = field(default_factory=dict, init=False, repr=False)  # content → (time, msgid)
    _feishu_uuids: dict = field(default_factory=dict, init=False, repr=False)  # (app, uuid) → (time, id)

    def expire_tokens(self, provider=None):
        """Every token issued so far (for that provider, or all) now counts as expired."""
        with self.lock:
            for token in self._tokens.values():
                if provider in (None, token.provider):
                    token.expired = True

    def revoke_tokens(self, provider=None):
        """Every token issued so far (for that provider, or all) is now unknown to the provider."""
        with self.lock:
            for key, token in list(self._tokens.items()):
                if provider in (None, token.provider):
                    del self._tokens[key]

    def delivered_to(self, provider, user_id=None) -> list:
        """The request bodies of the messages that reached a user (any user if none is named)."""
        with self.lock:
            return [body for name, user, body in self.delivered if name == provider and user_id in (None, user)]

    # Everything below runs under ``lock``, taken by the request handler.

    def _issue(self, provider: str, app: str, agent: int | None = None) -> str:
        token = ("t-" if provider == "feishu" else "") + secrets.token_hex(16)
        self._tokens[token] = _Token(provider, app, agent, time.time() + self.token_lifetime)
        self.token_requests[provider] = self.token_requests.get(provider, 0) + 1
        return token

    def _token(self, provider: str, token: str) -> tuple[str, _Token | None]:
        """("invalid" | "expired" | "valid", the token's record) as the provider sees the token."""
        entry = self._tokens.get(token)
        if entry is None or entry.provider != provider:
            return "invalid", None
        if entry.expired or time.time() >= entry.expires_at:
            return "expired", entry
        return "valid", entry

    def _throttled(self, provider: str) -> bool:
        if time.time() < self.throttle_until.get(provider, 0):
            return True
        if self.throttle.get(provider, 0) > 0:
            self.throttle[provider] -= 1
            return True
        return False

    # DingTalk

    def _dingtalk_token(self, query, headers, body):
        app = self.dingtalk_apps.get(query.get("appkey", ""))
        if app is None or query.get("appsecret") != app[0]:
            return _ok(DINGTALK_BAD_APP)
        token = self._issue("dingtalk", query["appkey"], app[1])
        return _ok({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_lifetime})

    def _dingtalk_caller(self, query, body):
        """The calling app's token record, or the answer refusing the call (token, then agent_id)."""
        state, entry = self._token("dingtalk", query.get("access_token", ""))
        if state == "invalid":
            return None, _ok(DINGTALK_BAD_TOKEN)
        if state == "expired":
            return None, _ok(DINGTALK_EXPIRED_TOKEN)
        if "agent_id" not in body:
            return None, _dingtalk_missing("agent_id")
        if type(body["agent_id"]) is not int or body["agent_id"] != entry.agent:
            return None, _ok(DINGTALK_BAD_AGENT)
        return entry, None

    @staticmethod
    def _action_card_problem(body: dict) -> str | None:
        """The first field of a work notice that is missing or wrong, or None."""
        users = body.get("userid_list")
        if not isinstance(users, str) or not 0 < len(_ids(users, ",")) <= DINGTALK_MAX_USERS:
            return "userid_list"
        msg = body.get("msg")
        if not isinstance(msg, dict):
            return "msg"
        if msg.get("msgtype") != "action_card":
            return "msg.msgtype"
        card = msg.get("action_card")
        if not isinstance(card, dict):
            return "msg.action_card"
        for name in ("title", "markdown", "single_title"):
            if not _text(card.get(name)):
                return f"msg.action_card.{name}"
        if not _web_url(card.get("single_url")):
            return "msg.action_card.single_url"
        return None

    def _dingtalk_send(self, query, headers, body):
        body = body if isinstance(body, dict) else {}
        entry, refusal = self._dingtalk_caller(query, body)
        if refusal:
            return refusal
        problem = self._action_card_problem(body)
        if problem:
            return _dingtalk_missing(problem)
        if self._throttled("dingtalk"):
            return _ok(DINGTALK_TOO_FAST)
        task_id = 10**11 + secrets.randbelow(9 * 10**11)
        self._tasks[task_id] = self._dingtalk_fan_out(entry.app, body)
        return _ok({"errcode": 0, "errmsg": "ok", "task_id": task_id, "request_id": secrets.token_hex(6)})

    def _dingtalk_fan_out(self, app: str, body: dict) -> dict:
        """Deliver a notice and return its send result. DingTalk lets an app send one person the
        same content once per Beijing calendar day; a repeat is forbidden with 143106."""
        day = int((time.time() + BEIJING_OFFSET) // 86400)
        content = _same(body["msg"])
        result = {"app": app, "invalid": [], "forbidden": [], "delivered": [], "polls": self.dingtalk_pending_polls}
        for user in _ids(body["userid_list"], ","):
            if user not in self.users.get("dingtalk", set()):
                result["invalid"].append(user)
            elif user in self.dingtalk_forbid:
                result["forbidden"].append((user, self.dingtalk_forbid[user]))
            elif (app, user, day, content) in self._dingtalk_seen:
                result["forbidden"].append((user, DINGTALK_SAME_CONTENT))
            else:
                self._dingtalk_seen.add((app, user, day, content))
                result["delivered"].append(user)
                self.delivered.append(("dingtalk", user, body))
        return result

    def _dingtalk_task(self, query, body):
        """The caller's task, or the answer refusing the query."""
        body = body if isinstance(body, dict) else {}
        entry, refusal = self._dingtalk_caller(query, body)
        if refusal:
            return None, refusal
        task_id = body.get("task_id")
        task = self._tasks.get(task_id) if type(task_id) is int else None
        if task is None or task["app"] != entry.app:
            return None, _dingtalk_missing("task_id")
        return task, None

    def _dingtalk_progress(self, query, headers, body):
        task, refusal = self._dingtalk_task(query, body)
        if refusal:
            return refusal
        if task["polls"] > 0:
            task["polls"] -= 1
            progress = {"progress_in_percent": 50, "status": 1}
        else:
            progress = {"progress_in_percent": 100, "status": 2}
        return _ok({"errcode": 0, "errmsg": "ok", "progress": progress, "request_id": secrets.token_hex(6)})

    def _dingtalk_result(self, query, headers, body):
        task, refusal = self._dingtalk_task(query, body)
        if refusal:
            return refusal
        done = task["polls"] == 0
        send_result = {
            "invalid_user_id_list": task["invalid"] if done else [],
            "forbidden_user_id_list": [user for user, _code in task["forbidden"]] if done else [],
            "failed_user_id_list": [],
            "read_user_id_list": [],
            "unread_user_id_list": task["delivered"] if done else [],
            "invalid_dept_id_list": [],
            "forbidden_list": [{"code": code, "count": 1, "userid": user} for user, code in task["forbidden"]]
            if done
            else [],
        }
        return _ok({"errcode": 0, "errmsg": "ok", "send_result": send_result})

    # WeCom

    def _wecom_token(self, query, headers, body):
        corp = query.get("corpid", "")
        if corp not in self.wecom_apps:
            return _ok(WECOM_BAD_CORP)
        agent = self.wecom_apps[corp].get(query.get("corpsecret", ""))
        if agent is None:
            return _ok(WECOM_BAD_SECRET)
        token = self._issue("wecom", corp, agent)
        return _ok({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": self.token_lifetime})

    @staticmethod
    def _textcard_problem(body: dict):
        """The answer refusing a malformed textcard message, or None."""
        users = body.get("touser")
        if not isinstance(users, str) or not 0 < len(_ids(users, "|")) <= WECOM_MAX_USERS:
            return _wecom_invalid("touser")
        if body.get("msgtype") != "textcard":
            return _wecom_invalid("msgtype")
        card = body.get("textcard")
        if not isinstance(card, dict) or not all(_text(card.get(name)) for name in ("title", "description", "url")):
            return _ok(WECOM_EMPTY)
        if len(card["title"].encode()) > 128:
            return _wecom_invalid("textcard.title")
        if len(card["description"].encode()) > 512:
            return _wecom_invalid("textcard.description")
        if not _web_url(card["url"]):
            return _wecom_invalid("textcard.url")
        if "btntxt" in card and not (isinstance(card["btntxt"], str) and len(card["btntxt"]) <= 4):
            return _wecom_invalid("textcard.btntxt")
        if body.get("enable_duplicate_check", 0) not in (0, 1):
            return _wecom_invalid("enable_duplicate_check")
        interval = body.get("duplicate_check_interval", WECOM_DEFAULT_DUPLICATE_INTERVAL)
        if type(interval) is not int or not 0 < interval <= WECOM_MAX_DUPLICATE_INTERVAL:
            return _wecom_invalid("duplicate_check_interval")
        return None

    def _wecom_send(self, query, headers, body):
        token = query.get("access_token", "")
        if not token:
            return _ok(WECOM_NO_TOKEN)
        state, entry = self._token("wecom", token)
        if state == "invalid":
            return _ok(WECOM_BAD_TOKEN)
        if state == "expired":
            return _ok(WECOM_EXPIRED_TOKEN)
        body = body if isinstance(body, dict) else {}
        if type(body.get("agentid")) is not int or body["agentid"] != entry.agent:
            return _ok(WECOM_OTHER_AGENT)
        problem = self._textcard_problem(body)
        if problem:
            return problem
        if self._throttled("wecom"):
            return _ok(WECOM_TOO_FAST)
        return self._wecom_fan_out(entry, body)

    def _wecom_fan_out(self, entry: _Token, body: dict):
        """Deliver to the known users (WeCom user ids ignore case and come back lower-cased). With
        enable_duplicate_check an identical message within the interval is taken but not shown."""
        known = {user.lower(): user for user in self.users.get("wecom", set())}
        wanted = _ids(body["touser"], "|")
        invalid = "|".join(dict.fromkeys(user.lower() for user in wanted if user.lower() not in known))
        reached = list(dict.fromkeys(known[user.lower()] for user in wanted if user.lower() in known))
        if not reached:
            return _ok({**WECOM_NOBODY, "invaliduser": invalid})
        content = (entry.app, entry.agent, _same([body["touser"], body["msgtype"], body["textcard"]]))
        earlier = self._wecom_sent.get(content)
        interval = body.get("duplicate_check_interval", WECOM_DEFAULT_DUPLICATE_INTERVAL)
        if body.get("enable_duplicate_check") == 1 and earlier and time.time() - earlier[0] < interval:
            return _ok({"errcode": 0, "errmsg": "ok", "invaliduser": invalid, "msgid": earlier[1]})
        msgid = secrets.token_urlsafe(24)
        self._wecom_sent[content] = (time.time(), msgid)
        for user in reached:
            self.delivered.append(("wecom", user, body))
        return _ok({"errcode": 0, "errmsg": "ok", "invaliduser": invalid, "msgid": msgid})

    # Feishu

    def _feishu_token(self, query, headers, body):
        body = body if isinstance(body, dict) else {}
        app_id = body.get("app_id")
        if not isinstance(app_id, str) or app_id not in self.feishu_apps:
            return 400, FEISHU_BAD_APP, {}
        if body.get("app_secret") != self.feishu_apps[app_id]:
            return 400, FEISHU_BAD_SECRET, {}
        token = self._issue("feishu", app_id)
        return _ok({"code": 0, "msg": "ok", "tenant_access_token": token, "expire": self.token_lifetime})

    @staticmethod
    def _card_problem(query, body: dict) -> str | None:
        """What is wrong with an interactive message (the ext of Feishu's answer), or None."""
        if query.get("receive_id_type") != "user_id":
            return "invalid receive_id_type"
        if not _text(body.get("receive_id")):
            return "invalid receive_id"
        if body.get("msg_type") != "interactive":
            return "invalid msg_type"
        uuid = body.get("uuid")
        if uuid is not None and not (isinstance(uuid, str) and len(uuid) <= FEISHU_MAX_UUID):
            return "invalid uuid"
        try:
            card = json.loads(body.get("content"))
        except (TypeError, ValueError):
            return "invalid content"
        elements = card.get("elements") if isinstance(card, dict) else None
        if not isinstance(elements, list):
            return "invalid content"
        buttons = [
            action
            for element in elements
            if isinstance(element, dict) and element.get("tag") == "action"
            for action in element.get("actions") or []
            if isinstance(action, dict) and action.get("tag") == "button"
        ]
        if not any(_web_url(button.get("url")) for button in buttons):
            return "invalid content, no button with a url"
        return None

    def _feishu_send(self, query, headers, body):
        authorization = headers.get("Authorization", "")
        token = authorization.removeprefix("Bearer ") if authorization.startswith("Bearer ") else ""
        state, entry = self._token("feishu", token)
        if state == "invalid":
            return 400, FEISHU_BAD_TOKEN, {}
        if state == "expired":
            return 400, FEISHU_EXPIRED_TOKEN, {}
        body = body if isinstance(body, dict) else {}
        problem = self._card_problem(query, body)
        if problem:
            return _feishu_bad(problem)
        if self._throttled("feishu"):
            window = self.throttle_window.get("feishu", DEFAULT_THROTTLE_WINDOW)
            return 429, FEISHU_TOO_FAST, {"x-ogw-ratelimit-reset": str(window)}
        user = body["receive_id"]
        if user not in self.users.get("feishu", set()):
            return _feishu_bad("invalid receive_id")
        return self._feishu_deliver(entry.app, user, body)

    def _feishu_deliver(self, app: str, user: str, body: dict):
        """Deliver a message; a uuid seen within the hour gets the earlier message id, not a repeat."""
        uuid = body.get("uuid")
        earlier = self._feishu_uuids.get((app, uuid)) if uuid else None
        if earlier and time.time() - earlier[0] < FEISHU_UUID_WINDOW:
            message_id = earlier[1]
        else:
            message_id = "om_" + secrets.token_hex(16)
            if uuid:
                self._feishu_uuids[(app, uuid)] = (time.time(), message_id)
            self.delivered.append(("feishu", user, body))
        return _ok({"code": 0, "msg": "success", "data": {"message_id": message_id}})


ROUTES = {
    ("GET", "/gettoken"): ("dingtalk", WorkProviders._dingtalk_token),
    ("POST", "/topapi/message/corpconversation/asyncsend_v2"): ("dingtalk", WorkProviders._dingtalk_send),
    ("POST", "/topapi/message/corpconversation/getsendresult"): ("dingtalk", WorkProviders._dingtalk_result),
    ("POST", "/topapi/message/corpconversation/getsendprogress"): ("dingtalk", WorkProviders._dingtalk_progress),
    ("GET", "/cgi-bin/gettoken"): ("wecom", WorkProviders._wecom_token),
    ("POST", "/cgi-bin/message/send"): ("wecom", WorkProviders._wecom_send),
    ("POST", "/open-apis/auth/v3/tenant_access_token/internal"): ("feishu", WorkProviders._feishu_token),
    ("POST", "/open-apis/im/v1/messages"): ("feishu", WorkProviders._feishu_send),
}


def _parse(raw: bytes):
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def start_work_receivers(providers: WorkProviders) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def handle_any(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            url = urlsplit(self.path)  # an absolute URL when the request came through as a proxy
            query = {name: values[0] for name, values in parse_qs(url.query).items()}
            body = _parse(raw)
            provider, endpoint = ROUTES.get((self.command, url.path), (None, None))
            with providers.lock:
                providers.received.append((provider, self.command, url.path, query, dict(self.headers), body))
                if endpoint:
                    status, answer, extra = endpoint(providers, query, self.headers, body)
                else:
                    status, answer, extra = 404, NO_SUCH_ENDPOINT, {}
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll so that shutdown() at the end of each test returns at once, not after half a second.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
