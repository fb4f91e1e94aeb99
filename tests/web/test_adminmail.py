"""Server errors are mailed to the administrators without the request waiting for the mail server, at
most once per error per window, never for /healthz, and with the credentials in URLs masked
(``opinion_tracker.adminmail``, ``opinion_tracker.security``)."""

import logging
import os
import signal
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client
from django.urls import path
from django.utils import timezone

from opinion_tracker import urls as project_urls
from opinion_tracker.adminmail import QueuedAdminEmailHandler, outbox

from ..processes import wait_for


def broken_page(request):
    broker = django_settings.CELERY_BROKER_URL  # a frame variable the report shows
    raise RuntimeError(f"the page broke while the broker was {broker.split('@')[-1]}")


def other_broken_page(request):
    raise LookupError("another error")


urlpatterns = [path("broken/", broken_page), path("other-broken/", other_broken_page), *project_urls.urlpatterns]
pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


@pytest.fixture
def handler():
    """The handler ``LOGGING`` put on the ``django`` logger, with no error mailed yet."""
    [handler] = [h for h in logging.getLogger("django").handlers if isinstance(h, QueuedAdminEmailHandler)]
    handler.mailed.clear()
    yield handler
    handler.mailed.clear()


@pytest.fixture
def mailbox(smtp, settings, handler):
    """A real SMTP server, and administrators to mail."""
    settings.ADMINS = [("值班管理员", "ops@example.gov.cn")]
    settings.EMAIL_TIMEOUT = 5
    return smtp


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


def subjects(mailbox) -> list[str]:
    return [message["Subject"] for message in mailbox.messages]


def test_a_server_error_answers_at_once_while_the_mail_server_is_slow(mailbox, browser):
    mailbox.stall_first = True  # the server holds the first message until released

    started = time.monotonic()
    answer = browser.get("/broken/")
    answered_in = time.monotonic() - started

    assert answer.status_code == 500
    assert answered_in < 2, "a request that waited for SMTP would take the whole EMAIL_TIMEOUT (5 s)"
    wait_for(mailbox.stalled.is_set, "the error mail to reach the slow mail server")
    mailbox.release.set()  # turned away with 451: that mail is lost, the next still goes out
    browser.get("/other-broken/")
    wait_for(lambda: mailbox.messages, "the next error mail")
    assert "/other-broken/" in subjects(mailbox)[0]


def test_fifty_identical_errors_make_one_mail_and_the_next_one_counts_the_rest(mailbox, browser, settings):
    settings.ADMIN_ERROR_MAIL_WINDOW_SECONDS = 600
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        for _ in range(50):
            assert browser.get("/broken/").status_code == 500
        browser.get("/other-broken/")
        # Mails go out in order: had a second mail of the first error been queued, it would be here by now.
        wait_for(lambda: len(mailbox.messages) >= 2, "the mails of both errors")
    assert len(mailbox.messages) == 2
    assert "/broken/" in subjects(mailbox)[0]
    assert "/other-broken/" in subjects(mailbox)[1]

    with time_machine.travel(now + timedelta(minutes=9), tick=False):
        browser.get("/broken/")
    with time_machine.travel(now + timedelta(minutes=10), tick=False):
        browser.get("/broken/")
        wait_for(lambda: len(mailbox.messages) == 3, "the first error's next mail, once its window ended")
    body = mailbox.messages[2].get_content()
    assert "The same error happened 50 more times, not mailed, since" in body


def test_health_check_answers_are_never_mailed(mailbox, browser):
    for _ in range(3):
        assert browser.get("/healthz").status_code == 503  # no enforcement pass has run

    browser.get("/other-broken/")
    wait_for(lambda: mailbox.messages, "the other error's mail")
    assert len(mailbox.messages) == 1, "a mail for /healthz would have been queued, and sent, before it"
    assert "/other-broken/" in subjects(mailbox)[0]


def test_the_error_mail_and_the_debug_page_mask_the_passwords_in_redis_urls(mailbox, browser, settings):
    # Set here, not beside the views: the debug page shows the source lines around each frame.
    settings.REDIS_URL = settings.CELERY_BROKER_URL = "redis://:broker-s3cret@redis:6379/0"
    settings.CELERY_RESULT_BACKEND = "rediss://default:result-s3cret@redis:6380/2"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:cache-s3cret@redis/1",
        }
    }

    browser.get("/broken/")
    wait_for(lambda: mailbox.messages, "the error mail")
    settings.DEBUG = True
    debug_page = browser.get("/broken/").content.decode()

    mail_body = mailbox.messages[0].get_content()
    for shown in (mail_body, debug_page):
        assert "s3cret" not in shown
        assert "rediss://********************@redis:6380/2" in shown
        assert "redis://********************@redis:6379/0" in shown  # the frame's variable, the settings
        assert "redis://********************@redis/1" in shown
    assert "CELERY_BROKER_URL" in debug_page


def test_a_forked_worker_sends_with_a_thread_of_its_own_even_if_the_fork_came_mid_send():
    """As gunicorn forks workers from its master: the parent's thread does not exist in the child, and
    the lock another of the parent's threads held at the fork would never be released there."""
    parent_sent = threading.Event()
    outbox.put(parent_sent.set)
    assert parent_sent.wait(10)
    read, write = os.pipe()
    with outbox.lock:
        child = os.fork()
        if child == 0:  # the worker
            sent = threading.Event()
            outbox.put(sent.set)
            os.write(write, b"sent" if sent.wait(10) else b"lost")
            os._exit(0)
    os.close(write)
    try:
        wait_for(lambda: os.waitpid(child, os.WNOHANG) != (0, 0), "the forked worker to finish", timeout=20)
    except AssertionError:
        os.kill(child, signal.SIGKILL)
        raise
    assert os.read(read, 4) == b"sent"
