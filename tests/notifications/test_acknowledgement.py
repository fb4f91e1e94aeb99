"""Acknowledging an escalation, through the signed link in a message and through the service."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from incidents.models import TimelineEvent
from notifications.acknowledgement import acknowledge, acknowledgement_token, acknowledgement_url
from notifications.enforcement import enforce
from notifications.models import Notification

from ..conftest import beijing

DISCOVERED = beijing(2026, 3, 10, 10)
DUE = DISCOVERED + timedelta(hours=2)


@pytest.fixture
def escalation(org, log) -> Notification:
    """The internal report's first overdue level, in the department leader's inbox."""
    log(discovered_at=DISCOVERED)
    with time_machine.travel(DUE, tick=False):
        enforce(DUE)
    return Notification.objects.get(
        step="overdue_l1", obligation__kind="internal_report", recipient=org.leader, channel="in_app"
    )


def test_the_link_shows_the_escalation_and_only_a_post_acknowledges_it(client, escalation):
    path = acknowledgement_url(escalation).removeprefix("http://127.0.0.1:8000")

    with time_machine.travel(DUE + timedelta(minutes=3), tick=False):
        page = client.get(path)
        assert page.status_code == 200
        assert "网传路面塌陷" in page.content.decode()
        assert "确认已阅" in page.content.decode()
        assert "超时一级督办" in page.content.decode()  # the step in words, not its code
        assert "overdue_l1" not in page.content.decode()
        escalation.refresh_from_db()
        assert escalation.acknowledged_at is None, "a mail scanner following the link acknowledges nothing"

        page = client.post(path)

    assert page.status_code == 200
    assert "已于 2026-03-10 12:03 确认" in page.content.decode()
    escalation.refresh_from_db()
    assert escalation.acknowledged_at == DUE + timedelta(minutes=3)
    event = TimelineEvent.objects.get(kind="acknowledged")
    assert (event.actor, event.obligation, event.detail["step"]) == (
        escalation.recipient,
        escalation.obligation,
        "overdue_l1",
    )


def test_an_expired_or_altered_link_acknowledges_nothing(client, escalation, settings):
    with time_machine.travel(DUE, tick=False):
        token = acknowledgement_token(escalation)
    later = DUE + timedelta(seconds=settings.ACKNOWLEDGEMENT_LINK_MAX_AGE + 60)
    with time_machine.travel(later, tick=False):
        expired = client.post(f"/ack/{token}/")
    altered = client.post(f"/ack/{token[:-2]}xx/")

    assert expired.status_code == 410
    assert "已过期" in expired.content.decode()
    assert altered.status_code == 404
    escalation.refresh_from_db()
    assert escalation.acknowledged_at is None


def test_only_the_recipient_can_acknowledge_and_the_first_time_counts(org, escalation):
    with pytest.raises(ValidationError) as refused:
        acknowledge(escalation, org.duty_officer, DUE)
    assert "只有接收人" in str(refused.value)

    acknowledge(escalation, org.leader, DUE + timedelta(minutes=1))
    acknowledge(escalation, org.leader, DUE + timedelta(minutes=9))

    escalation.refresh_from_db()
    assert escalation.acknowledged_at == DUE + timedelta(minutes=1)
    assert TimelineEvent.objects.filter(kind="acknowledged").count() == 1
