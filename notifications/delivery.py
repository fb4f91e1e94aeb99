"""Delivering notifications: claim with a lease, send, record the attempt, retry with backoff.

A notification is claimed by a conditional UPDATE that pushes ``available_at`` a lease into the
future: of two workers handed the same id, one claims it and the other finds nothing to do. The
claim commits before anything is sent, with a delivery attempt row, so a sender killed mid-send
leaves that attempt without an outcome and the lease expiring; the next pass claims the
notification again. Delivery is therefore at least once, and the notification id goes to the
provider as its idempotency key (the email Message-ID).
"""

import logging
import random
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.mail import mail_admins
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from incidents.models import Obligation

from .channels import DeliveryError, PermanentError, channel_for, initial_status
from .limits import limited, reserve
from .models import ContactPreference, DeliveryAttempt, Notification, default_channel_order
from .recipients import Directory

NO_LONGER_DUE = _("The obligation was met or waived before this could be sent.")
ATTEMPTS_RAN_OUT = _("No attempts left; the last sender stopped without an answer.")

logger = logging.getLogger(__name__)


def obligation_open():
    """As ``Exists``, not a join: an UPDATE filtered through a join becomes ``pk IN (subquery)``, which
    PostgreSQL does not re-check after waiting for a row lock, so two claims could both succeed."""
    return Exists(Obligation.objects.filter(pk=OuterRef("obligation_id"), state__in=Obligation.OPEN_STATES))


def claimable(now):
    """Pending, not leased nor waiting for a retry, attempts left, and the obligation still open:
    steps stop as soon as the obligation is met or waived, even those recorded but not yet sent."""
    return Notification.objects.filter(
        obligation_open(),
        status=Notification.Status.PENDING,
        available_at__lte=now,
        attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
    )


def settle_undeliverable(now) -> None:
    """Close what will never be claimed: notifications whose obligation was met or waived meanwhile
    (skipped), and those whose attempts ran out with a sender dying on the last one (failed)."""
    pending = Notification.objects.filter(status=Notification.Status.PENDING, available_at__lte=now)
    with translation.override(settings.LANGUAGE_CODE):
        pending.exclude(obligation_open()).update(status=Notification.Status.SKIPPED, error=str(NO_LONGER_DUE))
        pending.filter(attempts__gte=settings.NOTIFICATION_MAX_ATTEMPTS).update(
            status=Notification.Status.FAILED, error=str(ATTEMPTS_RAN_OUT)
        )


def lease() -> timedelta:
    return timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff with jitter, so retries after an outage do not arrive all at once."""
    ceiling = min(
        settings.NOTIFICATION_RETRY_MAX_SECONDS, settings.NOTIFICATION_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    )
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


def claim(notification_id, now) -> list[tuple[Notification, DeliveryAttempt]]:
    """The notification claimed with a lease, each claim with its attempt row; empty when there is
    nothing to claim (another sender has it, or its destination has no slot left until a window frees).

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
            return []
        ids = [primary.pk]
        destination = limited(primary)
        if destination is not None:
            slots, frees_at = reserve(destination, now)
            if not slots:
                Notification.objects.filter(pk=primary.pk).update(available_at=frees_at, dispatched_at=None)
                return []
            if slots == 1:
                ids += list(
                    claimable(now)
                    .filter(**destination.same_destination)
                    .exclude(pk=primary.pk)
                    .select_for_update(skip_locked=True, of=("self",))
                    .order_by("available_at", "pk")
                    .values_list("pk", flat=True)[: destination.digest_capacity - 1]
                )
        # No longer queued: if this sender dies, the next pass queues them again once the lease is over.
        Notification.objects.filter(pk__in=ids).update(
            available_at=now + lease(), attempts=F("attempts") + 1, dispatched_at=None
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


def deliver(notification_id) -> str | None:
    """Try to deliver one notification now (with what waits for its destination, as a digest, when
    limits call for one); returns the outcome, or ``None`` if there was nothing to claim."""
    claimed = claim(notification_id, timezone.now())
    if not claimed:
        return None
    notifications = [notification for notification, _attempt in claimed]
    channel = channel_for(notifications[0].channel)
    retry_after, answer, error_text = None, "", ""
    try:
        answer = channel.send(notifications[0]) if len(claimed) == 1 else channel.send_digest(notifications)
    except DeliveryError as error:
        outcome = (
            DeliveryAttempt.Outcome.PERMANENT_ERROR
            if isinstance(error, PermanentError)
            else DeliveryAttempt.Outcome.TRANSIENT_ERROR
        )
        logger.warning("Delivery of notification %s failed (%s): %s", notification_id, outcome, error)
        answer, error_text, retry_after = error.answer, str(error), getattr(error, "retry_after", None)
    except Exception as error:
        # A fault of ours (a message that cannot be built, a database blip) must not stop the pass or
        # the worker: it is logged and retried like a transient error, until the attempts run out.
        logger.exception("Delivery of notification %s failed unexpectedly", notification_id)
        outcome, error_text = DeliveryAttempt.Outcome.TRANSIENT_ERROR, f"{type(error).__name__}: {error}"
    else:
        outcome = DeliveryAttempt.Outcome.SENT
    for notification, attempt in claimed:
        finish(notification, attempt, outcome, answer=answer, error=error_text, retry_after=retry_after)
    if outcome == DeliveryAttempt.Outcome.PERMANENT_ERROR:
        tell_administrators(notifications, error_text)  # once per failed send, a digest included
    return outcome


def finish(notification, attempt, outcome, answer="", error="", retry_after=None) -> None:
    """Record the attempt and what follows: sent, a retry after a backoff (or after the provider's
    own window when it throttled us), or failed for good, with a fallback on the person's next channel.

    Only the latest claim decides: a sender that outlived its lease, while another claimed the
    notification again, leaves its attempt on record but no longer changes the notification.
    """
    now = timezone.now()
    attempt.finished_at, attempt.outcome, attempt.provider_answer, attempt.error = now, outcome, answer, error
    still_pending = Notification.objects.filter(
        pk=notification.pk, status=Notification.Status.PENDING, attempts=attempt.number
    )
    with transaction.atomic():
        attempt.save(update_fields=["finished_at", "outcome", "provider_answer", "error"])
        if outcome == DeliveryAttempt.Outcome.SENT:
            still_pending.update(status=Notification.Status.SENT, sent_at=now, error="")
        elif (
            outcome == DeliveryAttempt.Outcome.TRANSIENT_ERROR
            and notification.attempts < settings.NOTIFICATION_MAX_ATTEMPTS
        ):
            delay = timedelta(seconds=retry_after) if retry_after else retry_delay(notification.attempts)
            still_pending.update(available_at=now + delay, dispatched_at=None, error=error)
        elif still_pending.update(status=Notification.Status.FAILED, error=error):
            fall_back(notification, now)


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


def tell_administrators(notifications: list[Notification], error: str) -> None:
    """A permanent failure usually means a wrong address, key or signature: someone must fix it.
    Called after the failure is recorded, outside any transaction (mail can be slow)."""
    with translation.override(settings.LANGUAGE_CODE):
        lines = [
            _("Notification %(id)s (%(step)s, %(channel)s, to %(person)s)")
            % {
                "id": notification.pk,
                "step": notification.step,
                "channel": notification.get_channel_display(),
                "person": notification.recipient,
            }
            for notification in notifications
        ]
        body = _("Failed for good: %(error)s") % {"error": error} + "\n\n" + "\n".join(lines)
        mail_admins(_("A notification could not be delivered"), body, fail_silently=True)


def deliver_due_inline(now, limit=1000) -> int:
    """Attempt every claimable notification once, here and now (the embedded scheduler, ``--once``),
    including the fallbacks that failures made on the way."""
    settle_undeliverable(now)
    attempted = set()
    while len(attempted) < limit:
        ids = claimable(now).exclude(pk__in=attempted).order_by("available_at", "pk").values_list("pk", flat=True)
        batch = list(ids[: limit - len(attempted)])
        if not batch:
            break
        for notification_id in batch:
            attempted.add(notification_id)
            deliver(notification_id)
    return len(attempted)


def enqueue_due(now, enqueue: Callable[[int], object], limit=1000) -> int:
    """Hand claimable notifications to workers, each at most once per lease, after the commit.

    ``dispatched_at`` keeps a pass from queueing again what a worker has not picked up yet; a task
    lost with the broker is queued again after ``NOTIFICATION_REQUEUE_SECONDS``.
    """
    settle_undeliverable(now)
    requeue_before = now - timedelta(seconds=settings.NOTIFICATION_REQUEUE_SECONDS)
    with transaction.atomic():
        ids = list(
            claimable(now)
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=requeue_before))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("available_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        Notification.objects.filter(pk__in=ids).update(dispatched_at=now)
        transaction.on_commit(lambda: [enqueue(notification_id) for notification_id in ids], robust=True)
    return len(ids)
