"""Delivery in batches: what is due handed over, claimed many at a time, sent a few at once, recorded as it goes.

The webhook and email (``Channel.sent_in_batches``: no provider limit, a send that reads nothing from the database)
are claimed ``DELIVERY_BATCH_SIZE`` at a time in one transaction and sent by ``DELIVERY_SEND_THREADS`` threads,
each over connections kept for its share of the batch (``channels.connections``). Robots, SMS and work messages,
whose providers count what they take, go through ``delivery.claim`` one destination at a time, as tasks of their own.

What a batch promises is what one claim promises (``notifications.delivery``, docs/rules.md):
- outcomes are recorded as they come, every ``RECORD_EVERY`` seconds, by the calling thread (the send threads touch
  no database); a sender killed mid-batch leaves to be settled as cut off the sends on their way, the last fraction
  of a second's outcomes and the claims not started yet;
- the lease of every claim not yet recorded is extended while the batch runs (for three leases at most), so no
  other sender can claim a copy that is still on its way to a slow receiver;
- sends start only within the first half of the lease; a claim whose send would start later is given back untried,
  as if never claimed, and goes with a later batch (a slow provider holds a worker for half a lease, not a hundred
  timeouts).
"""

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from datetime import timedelta
from functools import partial
from queue import Empty, SimpleQueue

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from opinion_tracker.lib.bulk import update_rows

from .channels import CHANNELS, channel_for
from .channels.connections import kept_open
from .delivery import (
    CUT_OFF,
    Claim,
    Outcome,
    claimable,
    deliver,
    finish,
    lease,
    send,
    settle_undeliverable,
    take,
    tell_administrators,
)
from .models import DeliveryAttempt, Notification

SENT_IN_BATCHES = frozenset(kind for kind, channel in CHANNELS.items() if channel.sent_in_batches)
# How often the calling thread records the outcomes that came in: what a sender killed mid-batch can lose.
RECORD_EVERY = 0.1

Result = tuple[str, str, str, float | None]  # what ``delivery.send`` returns
logger = logging.getLogger(__name__)


def deliver_batch(ids) -> None:
    """Deliver the notifications ``ids``: those on channels sent in batches together, the others one at a time by
    ``delivery.deliver`` (a task of one, as ``hand_over`` queues them). Ids on batched channels that are no longer
    claimable (another sender has them, or they were sent) are left alone."""
    claims = claim_batch(ids, timezone.now())
    if claims:
        send_and_record(claims, time.monotonic() + lease().total_seconds() / 2)
    for notification_id in (
        Notification.objects.filter(pk__in=ids).exclude(channel__in=SENT_IN_BATCHES).values_list("pk", flat=True)
    ):
        deliver(notification_id)


def claim_batch(ids, now) -> list[Claim]:
    """Those of ``ids`` on channels sent in batches, claimed in one transaction, each a claim of its own (none is a
    digest: no such channel has a limit). As in ``delivery.claim``, rows another sender is claiming are skipped
    (``SKIP LOCKED``) and left to it."""
    with transaction.atomic():
        locked = list(
            claimable(now)
            .filter(pk__in=ids, channel__in=SENT_IN_BATCHES)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)
        )
        pairs = take(locked, now) if locked else []
    return [Claim([pair], None, None) for pair in pairs]


def send_and_record(claims: list[Claim], sends_by: float) -> None:
    """Send each claim, ``DELIVERY_SEND_THREADS`` at a time, and record the outcomes as they come (see the module's
    docstring); ``sends_by`` (a ``time.monotonic()`` moment) is when sends stop starting.

    A thread's first send always starts, as a claim of one would: a lease too short for one send (which the settings
    must not be) then slows delivery, never stops it. Threads run in copies of the caller's context (its language).
    The administrators are told once the batch is over, once per reason: mail to them can be slow, and the lease
    extensions must not wait for it. If recording fails (the database went away), no further send starts, and what
    came in is recorded once more at the end, or left to be settled as cut off.
    """
    results: SimpleQueue[tuple[int, Result | None]] = SimpleQueue()
    todo: SimpleQueue[int] = SimpleQueue()
    for index in range(len(claims)):
        todo.put(index)
    stop, started = threading.Event(), set()

    def sender():
        with kept_open():
            first = True
            while True:
                try:
                    index = todo.get_nowait()
                except Empty:
                    return
                channel = channel_for(claims[index].notifications[0].channel)
                if stop.is_set() or not (first or time.monotonic() + channel.longest_send() <= sends_by):
                    results.put((index, None))
                    continue
                started.add(index)
                results.put((index, send(claims[index])))
                first = False

    outstanding, unrecorded, told = set(range(len(claims))), [], defaultdict(list)
    began = extended_at = time.monotonic()
    threads = min(settings.DELIVERY_SEND_THREADS, len(claims))
    with ThreadPoolExecutor(threads, thread_name_prefix="delivery") as pool:
        running = [pool.submit(copy_context().run, sender) for _ in range(threads)]
        while outstanding and not (all(thread.done() for thread in running) and results.empty()):
            came = arrived(results, len(outstanding))
            outstanding.difference_update(index for index, _result in came)
            if stop.is_set():
                unrecorded += came
                continue
            try:
                told_now = record_batch([claims[index] for index, _result in came], [result for _i, result in came])
                if time.monotonic() - extended_at >= lease().total_seconds() / 4 and still_extending(began):
                    extend_leases([claims[index].pairs[0] for index in outstanding])
                    extended_at = time.monotonic()
            except Exception:
                logger.exception("Recording a delivery batch failed; no further send of it starts")
                stop.set()
                unrecorded += came
                continue
            for reason, notifications in told_now.items():
                told[reason] += notifications
    for thread in running:
        if thread.exception() is not None:
            logger.error("A delivery thread failed", exc_info=thread.exception())
    # Left by a thread that failed outside ``send`` (which catches everything): untried, or cut off mid-send.
    cut_off = (Outcome.UNKNOWN, "", str(CUT_OFF), None)
    unrecorded += [(index, cut_off if index in started else None) for index in outstanding]
    if unrecorded:
        record_late(claims, unrecorded, told, reconnect=stop.is_set())
    for reason, notifications in told.items():
        tell_administrators(notifications, reason)


def still_extending(began: float) -> bool:
    """Leases are extended for three leases at most: a receiver that trickles its answer for longer no longer holds
    its claims, which are then settled as cut off like any send that outlived its lease (and logged here)."""
    if time.monotonic() - began < 3 * lease().total_seconds():
        return True
    logger.error("A delivery batch has been sending for three leases; its claims are left to be settled as cut off")
    return False


def record_late(claims: list[Claim], came: list[tuple[int, Result | None]], told, reconnect: bool) -> None:
    """Record what is left once the threads are done: after recording failed, on a new connection; if that fails
    too, the claims are settled as cut off by a later pass, as a killed sender's are."""
    if reconnect:
        connection.close()
    try:
        told_now = record_batch([claims[index] for index, _result in came], [result for _index, result in came])
    except Exception:
        logger.exception("Recording a delivery batch failed again; its claims are settled as cut off later")
        return
    for reason, notifications in told_now.items():
        told[reason] += notifications


def arrived(results: SimpleQueue, expected: int) -> list[tuple[int, Result | None]]:
    """What the send threads reported within ``RECORD_EVERY`` seconds, or as soon as all ``expected`` came."""
    came, until = [], time.monotonic() + RECORD_EVERY
    while len(came) < expected and (left := until - time.monotonic()) > 0:
        try:
            came.append(results.get(timeout=left))
        except Empty:
            break
    return came


def record_batch(claims: list[Claim], results: list[Result | None]) -> dict[str, list[Notification]]:
    """Record outcomes: the sent in one transaction with what was not started (given back), every other outcome as
    ``delivery.deliver`` records it, each in its own transaction; returns what the administrators must hear, by
    reason."""
    sent, unsent, told = [], [], defaultdict(list)
    for claimed, result in zip(claims, results, strict=True):
        (pair,) = claimed.pairs
        if result is None:
            unsent.append(pair)
        elif result[0] == Outcome.SENT:
            sent.append((pair, result[1]))
    if sent or unsent:
        with transaction.atomic():
            release(unsent, timezone.now())
            record_sent(sent, timezone.now())
    for claimed, result in zip(claims, results, strict=True):
        if result is not None and result[0] != Outcome.SENT:
            ((notification, attempt),) = claimed.pairs
            with transaction.atomic():
                if text := finish(notification, attempt, *result):
                    told[text].append(notification)
    return told


def being_sent(pairs: Iterable[tuple[Notification, DeliveryAttempt]]):
    """For each attempt number among ``pairs``, their notifications while that number is still their latest claim
    (``delivery.latest_claim``)."""
    by_number = defaultdict(list)
    for notification, attempt in pairs:
        by_number[attempt.number].append(notification.pk)
    return [
        Notification.objects.filter(pk__in=ids, status=Notification.Status.PENDING, attempts=number)
        for number, ids in by_number.items()
    ]


def record_sent(sent: list[tuple[tuple[Notification, DeliveryAttempt], str]], now) -> None:
    """As ``delivery.finish`` records a sent notification, for many in a few statements."""
    if not sent:
        return
    update_rows(
        DeliveryAttempt,
        ["finished_at", "outcome", "provider_answer", "error"],
        {attempt.pk: (now, Outcome.SENT, answer, "") for (_notification, attempt), answer in sent},
    )
    for still_pending in being_sent(pair for pair, _answer in sent):
        still_pending.update(status=Notification.Status.SENT, sent_at=now, error="", sending=False)


def release(unsent: list[tuple[Notification, DeliveryAttempt]], now) -> None:
    """Claimed but never sent: as if never claimed, while the claim is still the latest and still ours (``sending``).
    The attempt row goes (nothing was tried), the attempt is given back, and it can be claimed again at once."""
    for still_ours in being_sent(unsent):
        # Locked: a pass settling the same claims as cut off meanwhile (a lapsed lease) goes first or not at all.
        ids = list(still_ours.filter(sending=True).select_for_update().values_list("pk", flat=True))
        still_ours.filter(pk__in=ids, sending=True).update(
            attempts=F("attempts") - 1, available_at=now, dispatched_at=None, sending=False
        )
        DeliveryAttempt.objects.filter(
            pk__in=[attempt.pk for notification, attempt in unsent if notification.pk in ids], outcome=""
        ).delete()


def extend_leases(pairs: list[tuple[Notification, DeliveryAttempt]]) -> None:
    """Push the lease of claims not yet recorded a whole lease ahead, so that no pass settles them as cut off and no
    other sender claims them while their batch is still sending."""
    until = timezone.now() + lease()
    for still_ours in being_sent(pairs):
        still_ours.filter(sending=True).update(available_at=until)


def deliver_due_inline(now, limit=None) -> int:
    """Attempt every claimable notification once, here and now (the embedded scheduler, ``--once``), in
    batches, including the fallbacks that failures made on the way; at most ``DELIVERY_PASS_LIMIT``."""
    limit = limit or settings.DELIVERY_PASS_LIMIT
    settle_undeliverable(now)
    attempted: set[int] = set()
    while len(attempted) < limit:
        due = claimable(now).order_by("available_at", "pk").values_list("pk", "channel")
        batch = [row for row in due[: limit + len(attempted)] if row[0] not in attempted][: limit - len(attempted)]
        if not batch:
            break
        for ids in batches(batch):
            deliver_batch(ids)
        attempted.update(pk for pk, _channel in batch)
    return len(attempted)


def batches(due: list[tuple[int, str]]) -> list[list[int]]:
    """Ids of ``(id, channel)`` rows as batches: those on channels sent in batches ``DELIVERY_BATCH_SIZE`` at a time,
    every other one alone (a rate-limited destination waits for no batch)."""
    together = [pk for pk, channel in due if channel in SENT_IN_BATCHES]
    size = settings.DELIVERY_BATCH_SIZE
    return [[pk] for pk, channel in due if channel not in SENT_IN_BATCHES] + [
        together[start : start + size] for start in range(0, len(together), size)
    ]


def enqueue_due(now, enqueue: Callable[[list[int]], object], limit=None) -> int:
    """Hand claimable notifications to workers in batches, each at most once per lease, after the commit; at most
    ``DELIVERY_PASS_LIMIT`` a pass, what two workers deliver in half the requeue time (docs/benchmarks.md).

    ``dispatched_at`` keeps a pass from queueing again what a worker has not picked up yet; a task
    lost with the broker (a Redis restart) is queued again after ``NOTIFICATION_REQUEUE_SECONDS``, two
    enforcement intervals by default. A task queued twice is harmless: the second claim finds nothing.
    """
    limit = limit or settings.DELIVERY_PASS_LIMIT
    settle_undeliverable(now)
    requeue_before = now - timedelta(seconds=settings.NOTIFICATION_REQUEUE_SECONDS)
    with transaction.atomic():
        due = list(
            claimable(now)
            .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=requeue_before))
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("available_at", "pk")
            .values_list("pk", "channel")[:limit]
        )
        Notification.objects.filter(pk__in=[pk for pk, _channel in due]).update(dispatched_at=now)
        transaction.on_commit(partial(hand_over, batches(due), enqueue))
    return len(due)


def hand_over(tasks: list[list[int]], enqueue) -> None:
    """Queue the tasks; a broker that is down (a Redis restart) loses nothing, since the rows say what is
    still to send and a later pass queues them again: worth a warning in the log, not an error mail."""
    try:
        for ids in tasks:
            enqueue(ids)
    except Exception as error:
        logger.warning("The broker did not take %d delivery tasks (%s); they are queued again later", len(tasks), error)
