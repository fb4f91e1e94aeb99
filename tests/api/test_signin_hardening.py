"""Signing in holds up: without Redis, and without letting anyone lock a named leader out.

Failures are counted in the database per client address and per username from that address
(``incidents.signin``); a client's address is ``REMOTE_ADDR``, or what trusted proxies say it is.
"""

from datetime import timedelta
from ipaddress import ip_network

import pytest
import redis
import time_machine
from django.core.cache import cache
from django.test import Client

from incidents.models import SignInFailure
from incidents.signin import LoginGuard, client_address, counted_address

from ..conftest import beijing

PASSWORD = "correct-horse-battery"
NOW = beijing(2026, 3, 10, 10)
ATTACKER, LEADERS_OFFICE = "203.0.113.9", "10.20.30.40"


def web_sign_in(client, person_or_name, password=PASSWORD, address=ATTACKER):
    username = getattr(person_or_name, "username", person_or_name)
    return client.post("/signin/", {"username": username, "password": password}, REMOTE_ADDR=address)


def token_sign_in(client, person_or_name, password=PASSWORD, address=ATTACKER):
    username = getattr(person_or_name, "username", person_or_name)
    return client.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


@pytest.fixture
def english():
    """Answers in English: the new messages have no compiled translation yet."""
    return Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)


def test_signing_in_works_while_redis_refuses_connections(org, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with pytest.raises(redis.ConnectionError):
        cache.get("anything")  # nothing listens there: the cache is down, as Redis in an outage
    browser = Client(raise_request_exception=False)

    assert web_sign_in(browser, org.leader, "wrong").status_code == 200
    assert web_sign_in(browser, org.leader).status_code == 302
    assert token_sign_in(browser, org.duty_officer, "wrong").status_code == 401
    signed_in = token_sign_in(browser, org.duty_officer)
    assert signed_in.status_code == 200
    assert signed_in.json()["token"]


def test_wrong_passwords_for_a_leader_from_one_address_do_not_lock_the_leader_out_elsewhere(org, english, settings):
    for _ in range(settings.LOGIN_FAILURES_PER_USERNAME):
        assert web_sign_in(english, org.leader, "guess").status_code == 200

    refused = web_sign_in(english, org.leader)
    assert refused.status_code == 429
    assert "Too many failed sign-ins for this username from this address; try again after" in refused.content.decode()
    assert token_sign_in(english, org.leader).status_code == 429  # the API shares the count

    from_the_office = Client()
    assert web_sign_in(from_the_office, org.leader, address=LEADERS_OFFICE).status_code == 302
    assert token_sign_in(from_the_office, org.leader, address=LEADERS_OFFICE).status_code == 200
    assert web_sign_in(english, org.deputy).status_code == 302, "the address itself is still below its limit"


def test_an_address_past_its_limit_is_refused_for_every_username_and_told_when_to_try_again(org, english, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for minutes, name in enumerate(["zhang", "wang", "li"]):
        with time_machine.travel(NOW + timedelta(minutes=minutes), tick=False):
            assert web_sign_in(english, name, "guess").status_code == 200

    with time_machine.travel(NOW + timedelta(minutes=3), tick=False):
        page = web_sign_in(english, org.duty_officer)
        api = token_sign_in(english, org.duty_officer)
        elsewhere = token_sign_in(english, org.duty_officer, address=LEADERS_OFFICE)

    # The oldest of the three failures (10:00) leaves the 15-minute window at 10:15, Beijing time.
    assert page.status_code == api.status_code == 429
    assert "Too many failed sign-ins from this address; try again after 10:15." in page.content.decode()
    assert page["Retry-After"] == api["Retry-After"] == str(12 * 60)
    assert api.json()["detail"].startswith("Too many failed sign-ins from this address; try again after 10:15.")
    assert elsewhere.status_code == 200
    with time_machine.travel(NOW + timedelta(minutes=15), tick=False):
        assert web_sign_in(english, org.duty_officer).status_code == 302


def test_failures_older_than_the_window_are_pruned_and_successes_leave_no_row(org, settings):
    browser = Client()
    with time_machine.travel(NOW, tick=False):
        web_sign_in(browser, org.leader, "guess")
        web_sign_in(browser, org.deputy, "guess")
    assert SignInFailure.objects.count() == 2

    later = NOW + timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert web_sign_in(browser, org.leader).status_code == 302

    assert not SignInFailure.objects.exists()


def test_refused_attempts_are_not_counted_as_failures(org, settings):
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    browser = Client()
    with time_machine.travel(NOW, tick=False):
        web_sign_in(browser, org.leader, "guess")
        web_sign_in(browser, org.leader, "guess")
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        for _ in range(10):
            assert web_sign_in(browser, org.leader, "guess").status_code == 429
    assert SignInFailure.objects.count() == 2
    with time_machine.travel(NOW + timedelta(minutes=15), tick=False):
        assert web_sign_in(browser, org.leader).status_code == 302, "waiting out the window is enough"


def test_the_client_address_is_remote_addr_unless_a_trusted_proxy_forwards_it(rf, settings):
    def address(remote, forwarded=None):
        headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        return client_address(rf.post("/signin/", REMOTE_ADDR=remote, **headers))

    assert address("198.51.100.7", "1.2.3.4") == "198.51.100.7", "no proxy is trusted by default"

    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/24"), ip_network("fd00::/64")]
    assert address("10.0.0.5", "1.2.3.4, 198.51.100.7") == "198.51.100.7", "what the client wrote is not read"
    assert address("10.0.0.5", "198.51.100.7, 10.0.0.6") == "198.51.100.7", "two proxies"
    assert address("fd00::2", "2001:db8::1") == "2001:db8::1"
    assert address("198.51.100.9", "1.2.3.4") == "198.51.100.9", "not from a trusted proxy"
    assert address("10.0.0.5", "not-an-address") == "10.0.0.5"
    assert address("10.0.0.5") == "10.0.0.5"


def test_clients_behind_the_same_trusted_proxy_are_counted_apart(org, settings):
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.5/32")]
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    for _ in range(2):
        proxy.post("/signin/", {"username": "x", "password": "guess"}, HTTP_X_FORWARDED_FOR=ATTACKER)

    refused = proxy.post(
        "/signin/", {"username": org.leader.username, "password": PASSWORD}, HTTP_X_FORWARDED_FOR=ATTACKER
    )
    admitted = proxy.post(
        "/signin/", {"username": org.leader.username, "password": PASSWORD}, HTTP_X_FORWARDED_FOR=LEADERS_OFFICE
    )
    assert (refused.status_code, admitted.status_code) == (429, 302)


def test_an_ipv6_client_is_counted_by_its_64_network(rf, settings, db):
    assert counted_address("2001:db8:1:2::1") == counted_address("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert counted_address("2001:db8:1:3::1") != counted_address("2001:db8:1:2::1")
    assert counted_address("::ffff:198.51.100.7") == "198.51.100.7"

    settings.LOGIN_FAILURES_PER_ADDRESS = 1
    assert LoginGuard(rf.post("/", REMOTE_ADDR="2001:db8:1:2::1"), "a").admit()
    assert not LoginGuard(rf.post("/", REMOTE_ADDR="2001:db8:1:2::2"), "b").admit()
    assert LoginGuard(rf.post("/", REMOTE_ADDR="2001:db8:1:3::1"), "c").admit()


def test_a_username_with_a_nul_byte_is_counted_not_stored_as_is(org):
    assert web_sign_in(Client(), "lea\x00der", "guess").status_code == 200
    assert SignInFailure.objects.get().username == "leader"
