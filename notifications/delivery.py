"""Delivering notifications: claim with a lease, send, record the outcome, retry, wait out throttling.

This is one claim at a time; ``notifications.batches`` claims, sends and records the webhook and email many at a
time on top of it, with the same promises.

A notification is claimed by a conditional UPDATE that pushes ``available_at`` a lease into the
future and marks it ``sending``: of two workers handed the same id, one claims it and the other finds
nothing to do. The claim commits before anything is sent, with a delivery attempt row; the outcome is
recorded in one transaction as soon as the send returns, so the only window in which a crash loses
what happened is between the provider's answer and that commit.

What follows an outcome (docs/rules.md, "What delivery promises"):
- sent: done;
- throttled: the destination is paused for the provider's penalty, the notification waits for it
  without using an attempt; if that makes it later than ``NOTIFICATION_MAX_WAIT_SECONDS`` after its
  step, the person is also told on their next channel, and the administrators once per wait;
- transient: retried after a backoff, until the attempts run out;
- unknown (the request went out and no answer came, or the sender died during the send, which shows
  as a lease that ran out while ``sending``): sent again only as far as the channel allows
  (``Channel.repeats_after_unknown``: never for group robots, which nothing deduplicates), else
  recorded ``unknown``;
- permanent, attempts run out, or unknown for good: the person is told on their next channel and the
  administrators are told.
"""

import logging
import random
from datetime import timedelta
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from incidents.models import Obligation
from opinion_tracker.lib.beijing import BEIJING

from .channels import (
    DeliveryError,
    PermanentError,
    Throttled,
    UnknownOutcome,
    channel_for,
    initial_status,
)
from .limits import Limited, first_to_tell, limited, pause, reserve, seen
from .models import ContactPreference, DeliveryAttempt, Notification, default_channel_order
from .recipients import Directory
from .steps import step_label

Outcome = DeliveryAttempt.Outcome
NO_LONGER_DUE = _("The obligation was met or waived before this could be sent.")
CUT_OFF = _("The sender stopped during the send, before the provider's answer was recorded.")
NOT_REPEATED = _("Not sent again: the provider may already have it, and a repeat would reach the group twice.")
WAITED_TOO_LONG = _(
    "%(destination)s holds messages until %(until)s: they go out then, and the people are told on "
    "their next channel meanwhile."
)

logger = logging.getLogger(__name__)


class Claim(NamedTuple):
    """What one sender claimed: the notifications with their attempt rows (several for a digest), the
    rate-limited destination they go to (or ``None``) and the slot reserved there."""

    pairs: list[tuple[Notification, DeliveryAttempt]]
    destination: Limited | None
    reservation: int | None

    @property
    def notifications(self) -> list[Notification]:
        return [notification for notification, _attempt in self.pairs]


def obligation_open():
    """As ``Exists``, not a join: an UPDATE filtered through a join becomes ``pk IN (subquery)``, which
    PostgreSQL does not re-check after waiting for a row lock, so two claims could both succeed."""
    return Exists(Obligation.objects.filter(pk=OuterRef("obligation_id"), state__in=Obligation.OPEN_STATES))


def attempts_left():
    """Attempts the provider throttled do not count: throttling is waited out, never a failure."""
    return Q(attempts__lt=F("throttled") + settings.NOTIFICATION_MAX_ATTEMPTS)


def claimable(now):
    """Pending, not being sent, not leased nor waiting for a retry, attempts left, and the obligation
    still open: steps stop as soon as the obligation is met or waived, even those recorded but not
    yet sent."""
    return Notification.objects.filter(
        obligation_open(),
        attempts_left(),
        status=Notification.Status.PENDING,
        sending=False,
        available_at__lte=now,
    )


def lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)


def max_wait() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_MAX_WAIT_SECONDS)


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff with jitter, so retries after an outage do not arrive all at once."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS, settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    )
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


def settle_undeliverable(now) -> None:
    """Settle what no sender will finish: sends cut off by a sender that died (their lease ran out while
    ``sending``), then notifications whose obligation was met or waived meanwhile (skipped)."""
    told = settle_cut_off(now)
    pending = Notification.objects.filter(status=Notification.Status.PENDING, sending=False, available_at__lte=now)
    with translation.override(settings.LANGUAGE_CODE):
        pending.exclude(obligation_open()).update(status=Notification.Status.SKIPPED, error=str(NO_LONGER_DUE))
    if told:
        tell_administrators(list(told), next(iter(told.values())))


def settle_cut_off(now) -> dict[Notification, str]:
    """Record each cut-off send as an unknown outcome and decide what follows; returns those given up
    on, with what the administrators must hear. Rows are taken with ``SKIP LOCKED``, so passes running
    at once settle each row once."""
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        cut_off = list(
            Notification.objects.filter(status=Notification.Status.PENDING, sending=True, available_at__lte=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
        )
        given_up = {}
        for notification in cut_off:
            attempt = notification.delivery_attempts.get(number=notification.attempts)
            attempt.finished_at, attempt.outcome, attempt.error = now, Outcome.UNKNOWN, str(CUT_OFF)
            attempt.save(update_fields=["finished_at", "outcome", "error"])
            still_pending = latest_claim(notification, attempt.number)
            if text := after_unknown(notification, still_pending, now, str(CUT_OFF), backoff=False):
                given_up[notification] = text
    return given_up


def latest_claim(notification, number):
    """The notification, only while ``number`` is still its latest claim: a sender that outlived its
    lease, while another claimed the notification again, no longer changes it."""
    return Notification.objects.filter(pk=notification.pk, status=Notification.Status.PENDING, attempts=number)


def claim(notification_id, now) -> Claim | None:
    """The notification claimed with a lease, with what goes with it; ``None`` when there is nothing to
    claim (another sender has it, or its destination is paused or has no slot left until a window frees).

    When it takes the last slot its rate-limited destination has left, everything else waiting for
    that destination is claimed with it, to go as one digest (see ``notifications.limits``). Rows are
    taken with ``SKIP LOCKED``: a row another sender is claiming is left to that sender, never waited
    for, so no claim is ever made twice and two senders never wait on each other.
    """
    with transaction.atomic():
        primary = (
            claimable(now)
            .filter(pk=notification_id)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .first()
        )
        if primary is None:
            return None
        ids, reservation = [primary.pk], None
        destination = limited(primary)
        if destination is not None:
            slots, frees_at, reservation = reserve(destination, now, lease())
            if not slots:
                Notification.objects.filter(pk=primary.pk).update(available_at=frees_at, dispatched_at=None)
                told = wait_for(primary, destination, frees_at, now)
                if told:
                    transaction.on_commit(partial(tell_administrators, [primary], told))
                return None
            if slots == 1:
                ids += list(
                    claimable(now)
                    .filter(**destination.same_destination)
                    .exclude(pk=primary.pk)
                    .select_for_update(skip_locked=True, of=("self",))
                    .order_by("available_at", "pk")
                    .values_list("pk", flat=True)[: destination.digest_capacity - 1]
                )
        pairs = take(ids, now)
    return Claim(pairs, destination, reservation)


def take(ids, now) -> list[tuple[Notification, DeliveryAttempt]]:
    """Lease the notifications ``ids``, which the caller has locked, and count and write their attempts.

    No longer queued: if this sender dies, the next pass settles the cut-off send (``settle_cut_off``)."""
    Notification.objects.filter(pk__in=ids).update(
        available_at=now + lease(), attempts=F("attempts") + 1, dispatched_at=None, sending=True
    )
    claimed = list(
        Notification.objects.select_related("incident__department", "obligation", "recipient")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    attempts = DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(notification=notification, number=notification.attempts, started_at=now)
        for notification in claimed
    )
    return list(zip(claimed, attempts, strict=True))


def send(claimed: Claim) -> tuple[str, str, str, float | None]:
    """Send what was claimed; returns the outcome, the provider's answer, the error and the provider's
    throttling window (seconds)."""
    notifications = claimed.notifications
    channel = channel_for(notifications[0].channel)
    try:
        answer = channel.send(notifications[0]) if len(notifications) == 1 else channel.send_digest(notifications)
    except DeliveryError as error:
        outcome = outcome_of(error)
        logger.warning(
            "Delivery of notification %s: %s (%s)", notifications[0].pk, outcome, error, extra=log_ids(notifications[0])
        )
        return outcome, error.answer, str(error), getattr(error, "retry_after", None)
    except Exception as error:
        # A fault of ours (a message that cannot be built, a database blip) must not stop the pass or
        # the worker: it is logged and retried like a transient error, until the attempts run out.
        logger.exception(
            "Delivery of notification %s failed unexpectedly", notifications[0].pk, extra=log_ids(notifications[0])
        )
        return Outcome.TRANSIENT_ERROR, "", f"{type(error).__name__}: {error}", None
    return Outcome.SENT, answer, "", None


def log_ids(notification) -> dict:
    """What a log line about ``notification`` names, as fields of its own in JSON logs (opinion_tracker.logs)."""
    return {
        "incident": notification.incident_id,
        "obligation": notification.obligation_id,
        "notification": notification.pk,
    }


def outcome_of(error: DeliveryError) -> str:
    if isinstance(error, Throttled):
        return Outcome.THROTTLED
    if isinstance(error, UnknownOutcome):
        return Outcome.UNKNOWN
    if isinstance(error, PermanentError):
        return Outcome.PERMANENT_ERROR
    return Outcome.TRANSIENT_ERROR


def deliver(notification_id) -> str | None:
    """Try to deliver one notification now (with what waits for its destination, as a digest, when
    limits call for one); returns the outcome, or ``None`` if there was nothing to claim."""
    claimed = claim(notification_id, timezone.now())
    if claimed is None:
        return None
    outcome, answer, error, retry_after = send(claimed)
    with transaction.atomic():
        seen(claimed.reservation, timezone.now())
        told = {
            notification: text
            for notification, attempt in claimed.pairs
            if (text := finish(notification, attempt, outcome, answer, error, retry_after, claimed.destination))
        }
    if told:
        tell_administrators(list(told), next(iter(told.values())))  # once per send, a digest included
    return outcome


def finish(notification, attempt, outcome, answer="", error="", retry_after=None, destination=None) -> str | None:
    """Record the attempt and what follows it (see the module's docstring); returns what the
    administrators must be told, if anything (why it was given up on, or that its destination holds it).

    Only the latest claim decides: a sender that outlived its lease, while another claimed the
    notification again, leaves its attempt on record but no longer changes the notification.
    """
    now = timezone.now()
    attempt.finished_at, attempt.outcome, attempt.provider_answer, attempt.error = now, outcome, answer, error
    still_pending = latest_claim(notification, attempt.number)
    with transaction.atomic():
        attempt.save(update_fields=["finished_at", "outcome", "provider_answer", "error"])
        if outcome == Outcome.SENT:
            still_pending.update(status=Notification.Status.SENT, sent_at=now, error="", sending=False)
            return None
        if outcome == Outcome.THROTTLED:
            until = now + timedelta(seconds=retry_after)
            return throttled(notification, still_pending, destination, until, error, now)
        if outcome == Outcome.UNKNOWN:
            return after_unknown(notification, still_pending, now, error)
        if outcome == Outcome.TRANSIENT_ERROR and retry(notification, still_pending, now, error):
            return None
        return give_up(notification, still_pending, Notification.Status.FAILED, error, now)


def retry(notification, still_pending, now, error, backoff=True) -> bool:
    """Try again, after a backoff unless told otherwise, if attempts are left; returns whether it will be."""
    counted = notification.attempts - notification.throttled
    if counted >= settings.NOTIFICATION_MAX_ATTEMPTS:
        return False
    delay = retry_delay(counted) if backoff else timedelta(0)
    still_pending.update(available_at=now + delay, dispatched_at=None, error=error, sending=False)
    return True


def throttled(notification, still_pending, destination, until, error, now) -> str | None:
    """Wait out the provider's penalty without using an attempt; pause the whole destination for it."""
    if not still_pending.update(
        available_at=until, dispatched_at=None, error=error, sending=False, throttled=F("throttled") + 1
    ):
        return None
    if destination is not None:
        pause(destination.key, until)
    told = wait_for(notification, destination, until, now)
    return f"{error} {told}" if told else None


def wait_for(notification, destination, until, now) -> str | None:
    """The notification waits until ``until``: past ``NOTIFICATION_MAX_WAIT_SECONDS`` after its step,
    the person is told on their next channel meanwhile. Returns what the administrators must hear,
    once per wait of the destination."""
    if until <= notification.step_at + max_wait() or notification.fallbacks.exists():
        return None
    fall_back(notification, now)
    if destination is not None and not first_to_tell(destination.key, now, until):
        return None
    with translation.override(settings.LANGUAGE_CODE):
        return str(
            WAITED_TOO_LONG
            % {
                "destination": destination.label if destination else notification.get_channel_display(),
                "until": timezone.localtime(until, BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            }
        )


def after_unknown(notification, still_pending, now, error, backoff=True) -> str | None:
    """The provider may have the message: send it again only as far as the channel allows (at once
    after a cut-off send, whose lease has already been waited out)."""
    repeats = channel_for(notification.channel).repeats_after_unknown
    unknowns = notification.delivery_attempts.filter(outcome=Outcome.UNKNOWN).count()
    if (repeats is None or unknowns <= repeats) and retry(notification, still_pending, now, error, backoff):
        return None
    with translation.override(settings.LANGUAGE_CODE):
        reason = f"{error} {NOT_REPEATED}" if repeats == 0 else error
    return give_up(notification, still_pending, Notification.Status.UNKNOWN, reason, now)


def give_up(notification, still_pending, status, error, now) -> str | None:
    """End the notification (failed, or unknown) and tell the person on their next channel; returns
    the reason, which the administrators must hear."""
    if not still_pending.update(status=status, error=error, sending=False):
        return None
    fall_back(notification, now)
    return error


def fall_back(failed: Notification, now) -> Notification | None:
    """A notification on the recipient's next preferred channel that this step has not used and that
    can reach them, linked to the one that failed; ``None`` when no channel is left."""
    person = failed.recipient
    used = set(
        Notification.objects.filter(obligation_id=failed.obligation_id, step=failed.step, recipient=person).values_list(
            "channel", flat=True
        )
    )
    preference = ContactPreference.objects.filter(person=person).first()
    order = preference.channel_order if preference else default_channel_order()
    directory = Directory(now)
    for kind in order:
        if kind in used:
            continue
        status, _reason = initial_status(kind, person, directory)
        if status == Notification.Status.SKIPPED:  # this channel cannot reach the person either
            continue
        return Notification.objects.create(
            incident_id=failed.incident_id,
            obligation_id=failed.obligation_id,
            step=failed.step,
            entry_id=failed.entry_id,
            recipient=person,
            channel=kind,
            status=status,
            step_at=failed.step_at,
            created_at=now,
            latency=now - failed.step_at,
            available_at=now,
            sent_at=now if status == Notification.Status.SENT else None,
            fallback_for=failed,
        )
    return None


def tell_administrators(notifications: list[Notification], reason: str) -> None:
    """Someone must look: a wrong address, key or signature, a provider that throttles or does not
    answer. Called after the outcome is recorded, outside any transaction (mail can be slow)."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("Notification %(id)s (%(step)s, %(channel)s, to %(person)s)")
            % {
                "id": notification.pk,
                "step": step_label(notification.step),
                "channel": notification.get_channel_display(),
                "person": notification.recipient,
            }
            for notification in notifications
        ]
        mail_admins(_("Notifications need attention"), reason + "\n\n" + "\n".join(lines), fail_silently=True)
