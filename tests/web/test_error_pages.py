"""The tracker's own error pages: in Chinese, in the tracker's look, each with a way back; the API keeps its JSON
errors, and the demo (`make run`) shows these pages rather than Django's debug pages."""

import os
import shlex
import subprocess
import sys
from itertools import takewhile
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from django.test import RequestFactory
from django.utils import translation

from opinion_tracker.lib.api.errors import server_error

from ..factories import PersonFactory
from ..mail import free_port
from ..processes import ROOT, Processes, answers, wait_for

TRACKER = "政务舆情回应督办系统"


def error_page(client, path: str, status: int, title: str) -> str:
    """The HTML of the tracker's error page at ``path``, after checking its status and its title in Chinese."""
    page = client.get(path)

    assert page.status_code == status
    html = page.content.decode()
    assert f"<title>{title} · {TRACKER}</title>" in html
    return html


def test_an_unknown_address_is_the_trackers_404_in_chinese_with_the_sign_in_as_the_way_back(client, db):
    html = error_page(client, "/incidents/nowhere/", 404, "找不到该页面")

    assert '<a class="brand" href="/">' in html
    assert '<a class="button primary" href="/signin/">登录</a>' in html
    assert "/static/tracker/tracker.css" in html


def test_a_signed_in_person_goes_back_from_a_404_to_their_own_page(client, org):
    client.force_login(org.duty_officer)

    html = client.get(f"/incidents/{10**9}/").content.decode()

    assert "找不到该页面" in html
    assert '<a class="button primary" href="/">返回我的首页</a>' in html
    assert org.duty_officer.display_name in html


def test_a_page_for_another_role_is_the_trackers_403_in_chinese_under_debug_too(client, org, settings):
    settings.DEBUG = True
    client.force_login(org.leader)

    html = error_page(client, "/incidents/new/", 403, "无权访问此页面")

    assert "此页面供其他岗位使用" in html
    assert '<a class="button primary" href="/">返回我的首页</a>' in html


def test_the_500_page_needs_neither_the_database_nor_the_request_context():
    """No ``db`` fixture: a query would fail the test, as a broken database would fail the page."""
    with translation.override("zh-hans"):  # as LocaleMiddleware has it when the view fails
        answer = server_error(RequestFactory().get("/incidents/"))

    assert answer.status_code == 500
    html = answer.content.decode()
    assert f"<title>服务器出错 · {TRACKER}</title>" in html
    assert "请稍后重试" in html
    assert '<a class="button" href="/">返回首页</a>' in html


def test_api_paths_keep_their_json_errors(client, db):
    missing = client.get("/api/v1/nowhere/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "未找到。"}

    failed = server_error(RequestFactory().get("/api/v1/incidents/"))
    assert failed.status_code == 500
    assert failed["Content-Type"] == "application/json"


def demo_server_environment() -> dict:
    """The variables `make run` serves the demo with, read from the Makefile's own command line."""
    commands = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    serve = next(line for line in commands.splitlines() if "runtracker" in line)
    assignments = takewhile(lambda word: "=" in word, shlex.split(serve))
    return dict(assignment.split("=", 1) for assignment in assignments)


def fetch(url: str) -> tuple[int, str]:
    try:
        with urlopen(url) as response:
            return response.status, response.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.skipif(not os.path.exists("/usr/bin/make"), reason="make is not installed")
def test_the_demo_serves_the_trackers_404_with_its_stylesheet_not_djangos_debug_page(tmp_path):
    demo = demo_server_environment()
    assert demo.get("DEBUG") != "1"
    env = {
        "PATH": os.environ["PATH"],
        **demo,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "SECRET_KEY": "tests-only-not-a-secret",  # the demo's own key stays in var/, untouched by the tests
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True)
    port = free_port()
    processes = Processes(tmp_path, env)
    processes.start("runtracker", sys.executable, "manage.py", "runtracker", f"127.0.0.1:{port}")
    try:
        wait_for(lambda: answers(port), "the demo server to listen", timeout=30)
        status, html = fetch(f"http://127.0.0.1:{port}/nowhere/")
        assert status == 404
        assert f"<title>找不到该页面 · {TRACKER}</title>" in html
        assert "URLconf" not in html  # Django's debug page lists every route
        assert fetch(f"http://127.0.0.1:{port}/static/tracker/tracker.css")[0] == 200
        assert fetch(f"http://127.0.0.1:{port}/api/v1/nowhere/") == (404, '{"detail": "\\u672a\\u627e\\u5230\\u3002"}')
    finally:
        processes.stop_all()


@pytest.mark.django_db
def test_the_top_bar_of_an_error_page_is_in_english_for_whoever_chose_english(client):
    client.force_login(PersonFactory())
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    html = client.get("/nowhere/").content.decode()

    assert "Page not found" in html
    assert "找不到该页面" not in html
