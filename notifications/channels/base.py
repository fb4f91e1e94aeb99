"""What every channel module provides, and the two kinds of failure a delivery can meet."""


class DeliveryError(Exception):
    """A delivery failed; ``answer`` is what the provider said, when it said anything."""

    def __init__(self, message, answer=""):
        super().__init__(message)
        self.answer = answer


class TransientError(DeliveryError):
    """Worth trying again later: the provider was unreachable, busy or throttling.

    ``retry_after`` (seconds) is the provider's own window when it throttled us: the retry waits for
    it instead of the usual backoff.
    """

    def __init__(self, message, answer="", retry_after=None):
        super().__init__(message, answer)
        self.retry_after = retry_after


class PermanentError(DeliveryError):
    """Trying again cannot help: a refused address, a bad key or signature."""


class Channel:
    """One transport. ``send`` returns the provider's answer or raises a ``DeliveryError``.

    ``delivered_on_record`` channels (the in-app inbox) are delivered by recording the row itself.
    """

    delivered_on_record = False

    def unreachable(self, person, directory) -> str | None:
        """Why ``person`` cannot be reached this way, or ``None`` if they can (``directory`` caches
        what a pass looks up, such as departments' robots)."""
        return None

    def send(self, notification) -> str:
        raise NotImplementedError

    def send_digest(self, notifications) -> str:
        """One message for several notifications to the same destination (rate-limited channels)."""
        raise NotImplementedError
