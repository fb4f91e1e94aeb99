"""What every channel module provides, and the kinds of outcome a delivery can meet short of success."""


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
    """

    delivered_on_record = False
    repeats_after_unknown: int | None = 0

    def unreachable(self, person, directory) -> str | None:
        """Why ``person`` cannot be reached this way, or ``None`` if they can (``directory`` caches
        what a pass looks up, such as departments' robots)."""
        return None

    def send(self, notification) -> str:
        raise NotImplementedError

    def send_digest(self, notifications) -> str:
        """One message for several notifications to the same destination (rate-limited channels)."""
        raise NotImplementedError
