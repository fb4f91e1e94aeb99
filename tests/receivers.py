"""Real HTTP receivers on 127.0.0.1 that behave like the providers: they check each robot's signature
exactly as the provider documents it and answer with the providers' own success and error bodies.

The checks are written here from the providers' documentation, not imported from the tracker, so a
wrong signature in the tracker is refused as the provider would refuse it.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

DINGTALK_OK = {"errcode": 0, "errmsg": "ok"}
DINGTALK_BAD_SIGN = {
    "errcode": 310000,
    "errmsg": "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
}
DINGTALK_BAD_TOKEN = {"errcode": 300001, "errmsg": "token is not exist"}
DINGTALK_TOO_FAST = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
WECOM_OK = {"errcode": 0, "errmsg": "ok"}
WECOM_BAD_KEY = {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000_1_abc], from ip: 127.0.0.1"}
WECOM_TOO_FAST = {"errcode": 45009, "errmsg": "api freq out of limit, hint: [1700000000_2_abc]"}
FEISHU_OK = {"code": 0, "data": {}, "msg": "success"}
FEISHU_BAD_SIGN = {
    "code": 19021,
    "data": {},
    "msg": "sign match fail or timestamp is not within one hour from current time",
}
FEISHU_BAD_TOKEN = {"code": 19001, "data": {}, "msg": "param invalid: incoming webhook access token invalid"}
FEISHU_TOO_FAST = {"code": 11232, "data": {}, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"}
SMS_OK = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5-B967-440B-8683"}
SMS_BAD_NUMBER = {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号", "RequestId": "A1B2"}
SMS_BAD_SIGNATURE = {
    "Code": "SignatureDoesNotMatch",
    "Message": "Specified signature is not matched",
    "RequestId": "A1B3",
}


@dataclass
class Providers:
    """What the receivers know (tokens, secrets) and what they received and took (``accepted``: each
    message the provider would show, an SMS ``OutId`` once, as the gateway drops repeats).

    Faults: ``throttle`` makes a provider answer with its rate-limit body for that many requests,
    ``throttle_until`` until that time (epoch seconds, by the clock the test sets); ``delay`` makes it
    take the message, then wait that many seconds before answering, like a slow provider.
    """

    dingtalk_tokens: dict = field(default_factory=dict)  # token → secret
    wecom_keys: set = field(default_factory=set)
    feishu_tokens: dict = field(default_factory=dict)  # hook id → secret
    sms_keys: dict = field(default_factory=dict)  # access key id → secret
    sms_illegal_numbers: set = field(default_factory=set)
    webhook_secret: str = ""
    throttle: dict = field(default_factory=dict)  # provider → requests still to throttle
    throttle_until: dict = field(default_factory=dict)  # provider → epoch seconds
    delay: dict = field(default_factory=dict)  # provider → seconds before answering
    charset: str = "utf-8"  # what the answers are written in (an intranet gateway may answer in GBK)
    received: list = field(default_factory=list)  # (provider, request URL, headers, body)
    accepted: list = field(default_factory=list)  # (provider, body)
    sms_out_ids: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def messages(self, provider):
        return [body for name, _url, _headers, body in self.received if name == provider]

    def taken(self, provider):
        return [body for name, body in self.accepted if name == provider]

    def throttled(self, provider) -> bool:
        with self.lock:
            if time.time() < self.throttle_until.get(provider, 0):
                return True
            if self.throttle.get(provider, 0) > 0:
                self.throttle[provider] -= 1
                return True
        return False

    def dingtalk(self, query, body):
        token = query.get("access_token", [""])[0]
        if token not in self.dingtalk_tokens:
            return DINGTALK_BAD_TOKEN
        secret = self.dingtalk_tokens[token]
        if secret:
            timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            expected = base64.b64encode(
                hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
            ).decode()
            fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3600 * 1000
            if not (fresh and hmac.compare_digest(sign, expected)):
                return DINGTALK_BAD_SIGN
        return DINGTALK_TOO_FAST if self.throttled("dingtalk") else DINGTALK_OK

    def wecom(self, query, body):
        if query.get("key", [""])[0] not in self.wecom_keys:
            return WECOM_BAD_KEY
        return WECOM_TOO_FAST if self.throttled("wecom") else WECOM_OK

    def feishu(self, hook, body):
        if hook not in self.feishu_tokens:
            return FEISHU_BAD_TOKEN
        secret = self.feishu_tokens[hook]
        if secret:
            timestamp = str(body.get("timestamp", ""))
            expected = base64.b64encode(
                hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
            ).decode()
            fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 3600
            if not (fresh and hmac.compare_digest(str(body.get("sign", "")), expected)):
                return FEISHU_BAD_SIGN
        return FEISHU_TOO_FAST if self.throttled("feishu") else FEISHU_OK

    def sms(self, path, headers, raw):
        secret = self.sms_keys.get(headers.get("X-Sms-Access-Key-Id", ""))
        message = "\n".join(
            [
                "POST",
                path,
                headers.get("X-Sms-Timestamp", ""),
                headers.get("X-Sms-Nonce", ""),
                hashlib.sha256(raw).hexdigest(),
            ]
        )
        expected = base64.b64encode(
            hmac.new((secret or "").encode(), message.encode(), hashlib.sha256).digest()
        ).decode()
        if secret is None or not hmac.compare_digest(headers.get("X-Sms-Signature", ""), expected):
            return SMS_BAD_SIGNATURE
        message = json.loads(raw)
        if message["PhoneNumbers"] in self.sms_illegal_numbers:
            return SMS_BAD_NUMBER
        with self.lock:
            if message["OutId"] in self.sms_out_ids:
                return {**SMS_OK, "Repeated": True}  # already sent: dropped, answered as sent
            self.sms_out_ids.add(message["OutId"])
        return SMS_OK


def start_receivers(providers: Providers) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            url = urlsplit(self.path)  # an absolute URL when the request came through as a proxy
            query = parse_qs(url.query)
            body = json.loads(raw) if raw else {}
            status, answer, provider = 200, None, None
            if url.path == "/robot/send":
                provider, answer = "dingtalk", providers.dingtalk(query, body)
            elif url.path == "/cgi-bin/webhook/send":
                provider, answer = "wecom", providers.wecom(query, body)
            elif url.path.startswith("/open-apis/bot/v2/hook/"):
                provider, answer = "feishu", providers.feishu(url.path.rsplit("/", 1)[1], body)
            elif url.path == "/sms/send":
                provider, answer = "sms", providers.sms(url.path, self.headers, raw)
            elif url.path == "/hooks/tracker":
                provider = "webhook"
                digest = hmac.new(providers.webhook_secret.encode(), raw, hashlib.sha256).hexdigest()
                good = hmac.compare_digest(self.headers.get("X-Opinion-Tracker-Signature", ""), f"sha256={digest}")
                status, answer = (200, {"received": True}) if good else (401, {"error": "bad signature"})
            else:
                status, answer = 404, {"error": "no such endpoint"}
            with providers.lock:
                providers.received.append((provider, self.path, dict(self.headers), body))
                if answer in (DINGTALK_OK, WECOM_OK, FEISHU_OK, SMS_OK) or (provider == "webhook" and status == 200):
                    providers.accepted.append((provider, body))
            if providers.delay.get(provider):
                time.sleep(providers.delay[provider])  # the provider took it, and is slow to say so
            data = json.dumps(answer, ensure_ascii=False).encode(providers.charset)
            try:
                self.send_response(status)
                self.send_header("Content-Type", f"application/json; charset={providers.charset}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client stopped waiting for a slow answer

        def log_message(self, format, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll so that shutdown() at the end of each test returns at once, not after half a second.
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
