"""Delivery in batches: claimed together, sent a few at a time over kept connections, recorded together, and
never sent past the part of the lease a batch may use."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.utils import timezone

from notifications.batches import deliver_batch, deliver_due_inline
from notifications.enforcement import enforce
from notifications.models import DeliveryAttempt, EscalationPolicy, EscalationStep, Notification

from ..conftest import beijing

DISCOVERED = beijing(2026, 3, 10, 10)
DUE = DISCOVERED + timedelta(hours=2)  # the internal report's deadline, the first overdue level


def emails():
    return Notification.objects.filter(channel="email")


def record_steps(org, log, incidents=1):
    """The first overdue level of ``incidents`` 重大 incidents reaches their department's principal and responsible
    leaders by email, recorded but not yet sent."""
    policy = EscalationPolicy.objects.create(government=org.government, severity="major")
    EscalationStep.objects.create(
        policy=policy,
        code="overdue_l1",
        offset=timedelta(0),
        audiences=["principal_leader", "responsible_leader"],
        channels=["email"],
    )
    for _ in range(incidents):
        log(discovered_at=DISCOVERED)
    with time_machine.travel(DUE, tick=False):
        enforce(DUE, deliver=lambda now: 0)
    assert emails().count() == emails().filter(status="pending").count() == 2 * incidents


def test_a_batch_of_mails_goes_over_one_connection_and_each_arrives_once(org, log, smtp, settings):
    settings.DELIVERY_SEND_THREADS = 1
    record_steps(org, log, incidents=3)
    count = emails().count()

    with time_machine.travel(DUE, tick=False):
        assert deliver_due_inline(DUE) == count

    assert len(smtp.messages) == count
    assert len({message["Message-ID"] for message in smtp.messages}) == count, "each mail once"
    assert smtp.greetings == 1, "one SMTP connection for the whole batch, not one per mail"
    assert set(emails().values_list("status", "attempts")) == {("sent", 1)}
    assert set(DeliveryAttempt.objects.values_list("outcome", flat=True)) == {"sent"}


def test_a_refused_address_fails_alone_and_the_rest_of_its_batch_arrives(org, log, smtp, settings):
    settings.DELIVERY_SEND_THREADS = 1
    record_steps(org, log)
    smtp.refuse.add(org.leader.email)

    with time_machine.travel(DUE, tick=False):
        deliver_due_inline(DUE)

    assert set(emails().filter(recipient=org.leader).values_list("status", flat=True)) == {"failed"}
    assert set(emails().filter(recipient=org.deputy).values_list("status", flat=True)) == {"sent"}
    assert len(smtp.to(org.deputy.email)) == emails().filter(recipient=org.deputy).count()
    assert not smtp.to(org.leader.email)


def test_the_administrators_hear_once_of_a_reason_the_whole_batch_met(org, log, smtp, settings, monkeypatch):
    """Six refused mails in one batch, recorded in many rounds, are one mail to the administrators naming the six,
    sent after the batch (a slow mail to them never holds up the batch's record and its leases)."""
    monkeypatch.setattr("notifications.batches.RECORD_EVERY", 0.001)
    settings.DELIVERY_SEND_THREADS = 1
    settings.ADMINS = [("系统管理员", "admin@jiangcheng.gov.cn")]
    record_steps(org, log, incidents=3)
    smtp.refuse.update({org.leader.email, org.deputy.email})

    with time_machine.travel(DUE, tick=False):
        deliver_due_inline(DUE)

    [told] = smtp.to("admin@jiangcheng.gov.cn")
    body = told.get_content()
    assert all(f"提醒 {pk}（" in body for pk in emails().filter(status="failed").values_list("pk", flat=True))
    assert emails().filter(status="failed").count() == 6


def test_sends_a_batch_has_no_time_left_for_are_given_back_untried(org, log, smtp, settings):
    """A send may start only while it could still end within the first half of the lease; one that could not is
    given back as if never claimed, and goes out with the next batch. A sender's first send always goes, as a
    claim of one would, so even a lease too short for one send never stops delivery."""
    record_steps(org, log)
    settings.DELIVERY_SEND_THREADS = 1
    settings.NOTIFICATION_LEASE_SECONDS = settings.EMAIL_TIMEOUT  # half the lease is shorter than one send
    ids = list(emails().order_by("pk").values_list("pk", flat=True))

    with time_machine.travel(DUE, tick=False):
        deliver_batch(ids)

    first, second = emails().order_by("pk")
    assert len(smtp.messages) == 1
    assert (first.status, first.attempts) == ("sent", 1)
    assert (second.status, second.attempts, second.sending, second.available_at) == ("pending", 0, False, DUE)
    assert not second.delivery_attempts.exists(), "nothing was tried, so no attempt is on record"

    settings.NOTIFICATION_LEASE_SECONDS = 120
    with time_machine.travel(DUE + timedelta(seconds=1), tick=False):
        deliver_due_inline(DUE + timedelta(seconds=1))
    assert len(smtp.messages) == 2
    assert set(emails().values_list("status", "attempts")) == {("sent", 1)}


def test_a_batch_sent_by_several_threads_delivers_each_mail_once(org, log, smtp, settings):
    settings.DELIVERY_SEND_THREADS = 3
    record_steps(org, log, incidents=3)
    count = emails().count()

    with time_machine.travel(DUE, tick=False):
        deliver_due_inline(DUE)

    assert sorted(message["Message-ID"] for message in smtp.messages) == sorted(
        f"<notification-{pk}@127.0.0.1>" for pk in emails().values_list("pk", flat=True)
    ), "every mail once"
    assert smtp.greetings <= 3, "a connection per thread"
    assert set(emails().values_list("status", "attempts")) == {("sent", 1)}
    assert emails().count() == count


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a second sender at the same time needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_batch_held_up_by_a_slow_server_keeps_its_lease_so_no_other_sender_sends_a_copy(
    org, log, smtp, settings, national_defaults
):
    """The mail server holds the first mail for three leases; meanwhile other senders run again and again, and find
    nothing to settle or send: the batch keeps extending its claims' lease while they are on their way."""
    settings.DELIVERY_SEND_THREADS = 1
    settings.NOTIFICATION_LEASE_SECONDS = 1.2
    settings.EMAIL_TIMEOUT = 30  # the client waits out the stall (a lease is far shorter than a send may take)
    record_steps(org, log)
    smtp.stall_first = True
    first, second = emails().order_by("pk")
    batch = threading.Thread(target=lambda: (deliver_batch([first.pk, second.pk]), connections.close_all()))
    batch.start()
    try:
        assert smtp.stalled.wait(timeout=30), "the first mail reached the server"
        others_until = time.monotonic() + 3 * settings.NOTIFICATION_LEASE_SECONDS
        while time.monotonic() < others_until:
            assert deliver_due_inline(timezone.now()) == 0, "another sender found something to claim"
        assert DeliveryAttempt.objects.count() == 2, "no attempt settled as cut off, none made again"
    finally:
        smtp.release.set()
        batch.join(timeout=30)

    first.refresh_from_db()
    second.refresh_from_db()
    attempt = first.delivery_attempts.get()
    assert (first.status, first.attempts, attempt.outcome) == ("pending", 1, "transient_error"), attempt.error
    assert (second.status, second.attempts, second.sending) == ("pending", 0, False), "given back untried"
    assert not second.delivery_attempts.exists()
    assert not smtp.messages, "the held mail was turned away (451), and nothing else was sent"
