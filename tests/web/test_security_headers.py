"""Served over HTTPS as a deployment should be (``check --deploy`` is clean for docker-compose.yml's
environment), a Content-Security-Policy on every page, and acknowledgement tokens kept out of the logs."""

import base64
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from types import SimpleNamespace
from urllib.request import Request, urlopen

import pytest
import yaml
from django.conf import settings as django_settings
from django.test import Client
from django.urls import path
from gunicorn.config import Config

from notifications.acknowledgement import acknowledgement_token
from opinion_tracker import urls as project_urls
from opinion_tracker.accesslog import GunicornLogger, redact_tokens

from ..mail import free_port
from ..processes import ROOT, Processes, wait_for

HOST = "tracker.example.gov.cn"
TEMPLATES = sorted(
    path
    for app in ("opinion_tracker", "incidents", "notifications")
    for path in ROOT.glob(f"{app}/templates/**/*.html")
)
FORGED_TOKEN = "MTAwMDAwMDAwMA:1tQx9A:bm90LWEtcmVhbC1zaWduYXR1cmUtYXQtYWxs"


def broken_page(request):
    raise RuntimeError("broken")


urlpatterns = [path("broken/", broken_page), *project_urls.urlpatterns]


def compose_environment() -> dict:
    """The tracker's environment in docker-compose.yml, each ``${NAME:-default}`` at its default."""
    environment = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-tracker"]["environment"]
    resolved = {}
    for name, value in environment.items():
        variable = re.fullmatch(r"\$\{\w+(?::-(?P<default>.*)|:\?.*)\}", str(value))
        resolved[name] = (variable.group("default") or "") if variable else str(value)
    return resolved


def production(**overrides) -> dict:
    return {
        "PATH": os.environ["PATH"],
        **compose_environment(),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "0",
        "SITE_URL": f"https://{HOST}",
        "ALLOWED_HOSTS": HOST,
        **overrides,
    }


def manage(env, *argv) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *argv], cwd=ROOT, env=env, capture_output=True, text=True)


def test_check_deploy_is_clean_for_the_compose_environment_served_over_https():
    checked = manage(production(), "check", "--deploy", "--fail-level", "WARNING")

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues (0 silenced)." in checked.stdout


ANSWERS = """
import json
from django.test import Client

browser = Client(HTTP_HOST="tracker.example.gov.cn")
plain, health = browser.get("/api/v1/auth/session/"), browser.get("/healthz")
secure = browser.get("/api/v1/auth/session/", secure=True)
proxied = browser.get("/api/v1/auth/session/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "health": health.status_code,
    "secure": [secure.status_code, secure.get("Strict-Transport-Security"), secure.cookies["csrftoken"]["secure"]],
    "proxied": proxied.status_code,
}))
"""


def answers(**overrides) -> dict:
    shell = manage(production(DATABASE_URL="sqlite://:memory:", **overrides), "shell", "-c", ANSWERS)
    assert shell.returncode == 0, shell.stderr
    return json.loads(shell.stdout.splitlines()[-1])


def test_over_https_plain_http_is_redirected_but_for_the_health_check_and_the_proxy_is_believed_if_trusted():
    direct, behind_a_proxy = answers(), answers(TRUSTED_PROXIES="127.0.0.1")

    assert direct["plain"] == [301, f"https://{HOST}/api/v1/auth/session/"]
    assert direct["health"] == 503, "the container's health check asks over HTTP and must not be redirected"
    assert direct["secure"] == [401, "max-age=31536000; includeSubDomains; preload", True]
    assert direct["proxied"] == 301, "X-Forwarded-Proto means nothing unless a proxy is trusted"
    assert behind_a_proxy["proxied"] == 401


def test_gunicorn_is_started_with_the_trackers_configuration():
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    assert "gunicorn --config gunicorn.conf.py " in web
    assert '"gunicorn", "--config", "gunicorn.conf.py",' in (ROOT / "Dockerfile").read_text()


def policy(response) -> dict:
    header = response["Content-Security-Policy"]
    return {directive.split()[0]: directive.split()[1:] for directive in header.split("; ")}


def inline_style_hash(html: str) -> str:
    block = re.search(r"<style>(.*?)</style>", html, flags=re.DOTALL).group(1)
    return f"'sha256-{base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()}'"


@pytest.mark.urls(__name__)
def test_every_page_has_a_policy_without_inline_scripts_and_the_inline_styles_are_hashed(db):
    browser = Client(raise_request_exception=False)
    sign_in, failed, link = browser.get("/signin/"), browser.get("/broken/"), browser.get(f"/ack/{FORGED_TOKEN}/")

    assert (sign_in.status_code, failed.status_code, link.status_code) == (200, 500, 404)
    for page in (sign_in, failed, link):
        directives = policy(page)
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"]
        assert "'unsafe-inline'" not in directives["style-src"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]
    assert inline_style_hash(failed.content.decode()) in policy(failed)["style-src"]
    assert inline_style_hash(link.content.decode()) in policy(link)["style-src"]


def test_only_the_interactive_api_docs_may_run_inline_scripts(client, db):
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert policy(docs)["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy(docs)["frame-ancestors"] == ["'none'"]
    assert policy(client.get("/api/v1/schema/"))["script-src"] == ["'self'"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda template: str(template.relative_to(ROOT)))
def test_no_template_has_an_inline_script_or_handler_and_each_style_block_is_allowed(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", text), "inline script: move it to a static file"
    assert not re.search(r"\son[a-z]+\s*=", text, flags=re.IGNORECASE), "on… handler: bind it in a static file"
    assert not re.search(r"\sstyle\s*=", text), "style attribute: use a class from tracker.css"
    assert "javascript:" not in text
    allowed = django_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]
    for block in re.findall(r"<style>.*?</style>", text, flags=re.DOTALL):
        assert inline_style_hash(block) in allowed


def test_the_static_script_needs_no_eval():
    script = (ROOT / "opinion_tracker" / "static" / "tracker" / "tracker.js").read_text()
    assert not re.search(r"\beval\(|new Function|set(Timeout|Interval)\(\s*[\"']", script)


def test_acknowledgement_tokens_are_redacted_wherever_a_log_writes_a_url():
    token = acknowledgement_token(SimpleNamespace(pk=42))

    assert redact_tokens(f"GET /ack/{token}/ HTTP/1.1") == "GET /ack/[redacted]/ HTTP/1.1"
    assert redact_tokens(f"https://{HOST}/ack/{token}/?from=mail") == f"https://{HOST}/ack/[redacted]/?from=mail"
    assert redact_tokens(f"/ack/{token}") == "/ack/[redacted]"
    assert redact_tokens("/escalations/5/acknowledge/") == "/escalations/5/acknowledge/"


def test_gunicorns_access_log_atoms_are_redacted():
    token = acknowledgement_token(SimpleNamespace(pk=42))
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/ack/{token}/",
        "PATH_INFO": f"/ack/{token}/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://{HOST}/ack/{token}/",
        "REMOTE_ADDR": "198.51.100.7",
    }
    response = SimpleNamespace(status="404 Not Found", headers=[], sent=10)
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])

    atoms = GunicornLogger(Config()).atoms(response, request, environ, timedelta(milliseconds=3))

    assert atoms["r"] == "GET /ack/[redacted]/ HTTP/1.1"
    assert atoms["U"] == "/ack/[redacted]/"
    assert atoms["f"] == atoms["{referer}i"] == f"https://{HOST}/ack/[redacted]/"
    assert token not in repr(atoms)
    assert atoms["s"] == "404"


def test_djangos_request_log_keeps_no_token(client, db, caplog):
    token = acknowledgement_token(SimpleNamespace(pk=10**9))  # signed, for a notification that is not there

    assert client.get(f"/ack/{token}/").status_code == 404

    assert "Not Found: /ack/[redacted]/" in caplog.text
    assert token not in caplog.text


def test_a_real_gunicorn_logs_acknowledgement_links_without_their_tokens(tmp_path):
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "SECRET_KEY": "tests-only-not-a-secret",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    }
    processes = Processes(tmp_path, env)
    processes.gunicorn(port)  # gunicorn reads ./gunicorn.conf.py, as in the container
    referer = f"http://127.0.0.1:{port}/ack/{FORGED_TOKEN}/"
    try:
        request = Request(f"http://127.0.0.1:{port}/ack/{FORGED_TOKEN}/", headers={"Referer": referer})
        with pytest.raises(OSError, match="404"):
            urlopen(request)
        wait_for(lambda: "GET /ack/[redacted]/ HTTP/1.1" in processes.log("gunicorn"), "the access log line", 20)
    finally:
        processes.stop_all()

    log = processes.log("gunicorn")
    assert FORGED_TOKEN not in log
    assert '"GET /ack/[redacted]/ HTTP/1.1" 404' in log
    assert f'"http://127.0.0.1:{port}/ack/[redacted]/"' in log
    assert "Not Found: /ack/[redacted]/" in log
