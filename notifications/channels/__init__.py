"""The channels built so far, by kind. Kinds a ladder lists but not built here are recorded as skipped."""

from ..models import ChannelKind, Notification
from .base import NOT_BUILT, Channel, DeliveryError, PermanentError, TransientError
from .email import EmailChannel
from .in_app import InAppChannel

CHANNELS: dict[str, Channel] = {
    ChannelKind.IN_APP: InAppChannel(),
    ChannelKind.EMAIL: EmailChannel(),
}

__all__ = ["CHANNELS", "DeliveryError", "PermanentError", "TransientError", "channel_for", "initial_status"]


def channel_for(kind: str) -> Channel | None:
    return CHANNELS.get(kind)


def initial_status(kind: str, person) -> tuple[str, str]:
    """The status a new notification starts in, and why when it is skipped."""
    channel = channel_for(kind)
    if channel is None:
        return Notification.Status.SKIPPED, str(NOT_BUILT)
    reason = channel.unreachable(person)
    if reason:
        return Notification.Status.SKIPPED, str(reason)
    if channel.delivered_on_record:
        return Notification.Status.SENT, ""
    return Notification.Status.PENDING, ""
