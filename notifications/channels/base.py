"""What every channel module provides, and the kinds of outcome a delivery can meet short of success."""

from django.conf import settings


class DeliveryError(Exception):
    """A delivery did not succeed; ``answer`` is what the provider said, when it said anything."""

    def __init__(self, message, answer=""):
        super().__init__(message)
        self.answer = answer


class TransientError(DeliveryError):
    """Worth trying again later: the provider was unreachable or busy, and did not take the message."""


class Throttled(DeliveryError):
    """The provider refused the message for its rate limit. ``retry_after`` (seconds) is its penalty
    window: the destination is paused for it, and the attempt does not count against the limit."""

    def __init__(self, message, answer="", retry_after=60.0):
        super().__init__(message, answer)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Trying again cannot help: a refused address, a bad key or signature."""


class UnknownOutcome(DeliveryError):
    """The request went out and no answer came (a timeout after sending, a connection cut while
    waiting): the provider may have taken the message."""


class Channel:
    """One transport. ``send`` returns the provider's answer or raises a ``DeliveryError``.

    ``delivered_on_record`` channels (the in-app inbox) are delivered by recording the row itself.
    ``repeats_after_unknown``: how often a message whose outcome is unknown (the provider may have it)
    is sent again. ``None`` where the provider drops a message it already has, by the idempotency key
    sent with it (SMS ``OutId``, the webhook's delivery id): retried like any transient error. Never
    (0) for group robots, where nothing deduplicates and a repeat reaches the whole group twice.

    ``sent_in_batches`` channels are claimed many at a time and sent by a few threads at once, over kept
    connections (``notifications.batches``): only those with no provider limit, whose send reads
    nothing from the database (a thread of its own has no transaction of the caller's to see), and whose receivers
    drop a repeat or may see one (a send cut off by a stale kept connection is retried).
    """

    delivered_on_record = False
    repeats_after_unknown: int | None = 0
    sent_in_batches = False

    def longest_send(self) -> float:
        """How long one send may wait for the provider (seconds; for SMTP, the wait of one step): a batch starts no
        send that could outlast the part of its lease it may use (``notifications.batches.send_and_record``)."""
        return settings.OUTBOUND_CONNECT_TIMEOUT + settings.OUTBOUND_TIMEOUT

    def unreachable(self, person, directory) -> str | None:
        """Why ``person`` cannot be reached this way, or ``None`` if they can (``directory`` caches
        what a pass looks up, such as departments' robots)."""
        return None

    def send(self, notification) -> str:
        raise NotImplementedError

    def send_digest(self, notifications) -> str:
        """One message for several notifications to the same destination (rate-limited channels)."""
        raise NotImplementedError
