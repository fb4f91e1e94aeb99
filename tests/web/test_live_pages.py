"""The pages that update themselves: the duty board's feed of new open incidents and 我的督办's feed of new
entries with the unread count. Each answers only what the person may read, from the id the page started
at, rendered with the page's own row template; a mistaken ``after`` is answered 400, never 500."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from notifications.enforcement import enforce
from notifications.models import EscalationEntry

from ..factories import PersonFactory

BAD_AFTERS = ["", "abc", "-1", "1.5", "1e3", " 1", "１", "99999999999999999999", "9223372036854775808"]


def live_list(client, path, **query) -> dict:
    """The data attributes of the page's live list."""
    answer = client.get(path, query)
    assert answer.status_code == 200
    tag = re.search(r"<ul [^>]*data-live-feed=[^>]*>", answer.content.decode())
    assert tag, "the page has a live list"
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', tag.group(0)))


def feed(client, url, after):
    """The answer at ``url`` (the page's data-live-feed, with its filters) after ``after``, as the script asks."""
    url = url.replace("&amp;", "&")
    answer = client.get(f"{url}{'&' if '?' in url else '?'}after={after}")
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/json"
    return answer.json()


def test_the_duty_board_feed_answers_new_open_incidents_in_the_officers_scope(signed_in, org, housing, log, settings):
    settings.ENFORCEMENT_INTERVAL_SECONDS = 2.5
    now = timezone.now()
    shown = log(title="网传早已登记的事件", discovered_at=now)
    client = signed_in(org.duty_officer)
    live = live_list(client, "/incidents/")
    assert live["live-feed"] == "/incidents/feed/"
    assert live["after"] == str(shown.pk)
    assert live["interval"] == "2.5"

    new = log(title="网传地铁站台积水", discovered_at=now)
    elsewhere = log(title="网传小区停水", department=housing.department, actor=housing.duty_officer, discovered_at=now)
    closed = log(title="网传已办结事件", discovered_at=now)
    Incident.objects.filter(pk=closed.pk).update(state=Incident.State.CLOSED, closed_at=now, close_reason="已处置")

    answer = feed(client, live["live-feed"], live["after"])
    assert [row["id"] for row in answer["rows"]] == [new.pk]
    row = answer["rows"][0]["html"]
    assert f'data-incident="{new.pk}"' in row
    assert new.title in row
    assert 'class="clock' in row
    assert answer["after"] == new.pk
    assert feed(client, live["live-feed"], answer["after"]) == {"after": new.pk, "rows": []}
    assert elsewhere.title not in str(answer)

    other = signed_in(housing.duty_officer)
    assert [row["id"] for row in feed(other, "/incidents/feed/", shown.pk)["rows"]] == [elsewhere.pk]


def test_the_duty_board_feed_keeps_the_boards_filters(signed_in, org, log):
    now = timezone.now()
    client = signed_in(org.duty_officer)
    live = live_list(client, "/incidents/", severity="major")
    assert live["live-feed"] == "/incidents/feed/?severity=major"
    major = log(title="网传重大事件", severity="major", discovered_at=now)
    log(title="网传一般事件", severity="general", discovered_at=now)
    assert [row["id"] for row in feed(client, live["live-feed"], live["after"])["rows"]] == [major.pk]


def test_only_the_first_page_of_the_open_board_is_live(signed_in, org, log):
    client = signed_in(org.duty_officer)
    assert "data-live-feed" not in client.get("/incidents/", {"state": "closed"}).content.decode()
    log(title="网传事件", discovered_at=timezone.now())
    assert "data-live-feed" in client.get("/incidents/").content.decode()


@pytest.mark.parametrize("path", ["/incidents/feed/", "/escalations/feed/"])
def test_a_mistaken_after_is_answered_400(signed_in, org, path):
    client = signed_in(org.leader if "escalations" in path else org.duty_officer)
    for after in BAD_AFTERS:
        answer = client.get(path, {"after": after})
        assert answer.status_code == 400, after
        assert "after" in answer.json()["error"]
    assert client.get(path).status_code == 400


@pytest.mark.parametrize("path", ["/incidents/feed/", "/escalations/feed/"])
def test_the_feeds_are_for_people_signed_in(client, path):
    answer = client.get(path, {"after": "0"})
    assert answer.status_code == 302
    assert "/signin/" in answer["Location"]


def test_the_escalations_feed_answers_the_leaders_new_entries_and_the_unread_count(signed_in, org, housing, log):
    client = signed_in(org.leader)
    live = live_list(client, "/escalations/")
    assert live["live-feed"] == "/escalations/feed/"
    assert live["after"] == "0"
    assert live["insert"] == "1"
    assert live["badge-for"] == "/escalations/"
    assert feed(client, live["live-feed"], live["after"]) == {"after": 0, "entries": [], "unread": 0}

    incident = log(title="网传某路段井盖缺失", discovered_at=timezone.now() - timedelta(hours=6))
    log(
        title="网传小区停水",
        department=housing.department,
        actor=housing.duty_officer,
        discovered_at=timezone.now() - timedelta(hours=6),
    )
    enforce(timezone.now())  # the first statement (5 h) is overdue: each department's principal leader is told
    mine = EscalationEntry.objects.filter(recipient=org.leader).order_by("pk")
    assert mine.exists()

    answer = feed(client, live["live-feed"], live["after"])
    assert [entry["id"] for entry in answer["entries"]] == [entry.pk for entry in mine]
    assert answer["unread"] == mine.count()
    assert answer["after"] == mine.last().pk
    first = answer["entries"][0]
    assert first["title"] == incident.title
    assert first["unread"] is True
    assert "超时一级督办" in first["body"]
    assert f'data-entry="{first["id"]}"' in first["html"]
    assert 'name="csrfmiddlewaretoken"' in first["html"]
    assert "网传小区停水" not in str(answer)

    # The page made now starts after the newest entry; acknowledging one takes the count down.
    assert live_list(client, "/escalations/")["after"] == str(mine.last().pk)
    client.post(f"/escalations/{first['id']}/acknowledge/")
    assert feed(client, live["live-feed"], answer["after"]) == {
        "after": answer["after"],
        "entries": [],
        "unread": mine.count() - 1,
    }


def test_another_persons_entries_never_come_through_the_feed(signed_in, org, log):
    log(title="网传某路段井盖缺失", discovered_at=timezone.now() - timedelta(hours=6))
    enforce(timezone.now())
    stranger = PersonFactory(department=org.department, roles=list(org.leader.roles))
    answer = feed(signed_in(stranger), "/escalations/feed/", 0)
    assert answer == {"after": 0, "entries": [], "unread": 0}
