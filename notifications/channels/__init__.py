"""The channels, by kind: one module per transport, each with ``send(notification)`` that returns the
provider's answer or raises a transient or permanent ``DeliveryError``."""

from ..models import ChannelKind, Notification, WorkApp
from . import dingtalk_work, feishu_app, wecom_app
from .base import Channel, DeliveryError, PermanentError, Throttled, TransientError, UnknownOutcome
from .email import EmailChannel
from .in_app import InAppChannel
from .robot import RobotChannel
from .sms import SmsChannel
from .webhook import WebhookChannel
from .work_message import WorkMessageChannel

CHANNELS: dict[str, Channel] = {
    ChannelKind.IN_APP: InAppChannel(),
    ChannelKind.ROBOT: RobotChannel(),
    ChannelKind.EMAIL: EmailChannel(),
    ChannelKind.SMS: SmsChannel(),
    ChannelKind.WEBHOOK: WebhookChannel(),
    ChannelKind.DINGTALK_WORK: WorkMessageChannel(WorkApp.Provider.DINGTALK, "dingtalk_userid", dingtalk_work),
    ChannelKind.WECOM_APP: WorkMessageChannel(WorkApp.Provider.WECOM, "wecom_userid", wecom_app),
    ChannelKind.FEISHU_APP: WorkMessageChannel(WorkApp.Provider.FEISHU, "feishu_user_id", feishu_app),
}

__all__ = [
    "CHANNELS",
    "DeliveryError",
    "PermanentError",
    "Throttled",
    "TransientError",
    "UnknownOutcome",
    "channel_for",
    "initial_status",
]


def channel_for(kind: str) -> Channel:
    return CHANNELS[kind]


def initial_status(kind: str, person, directory) -> tuple[str, str]:
    """The status a new notification starts in, and why when it is skipped."""
    channel = channel_for(kind)
    reason = channel.unreachable(person, directory)
    if reason:
        return Notification.Status.SKIPPED, str(reason)
    if channel.delivered_on_record:
        return Notification.Status.SENT, ""
    return Notification.Status.PENDING, ""
