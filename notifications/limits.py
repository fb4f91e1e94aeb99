"""Provider limits, respected without dropping anything.

DingTalk and WeCom robots take 20 messages a minute, a Feishu bot 5 a second and 100 a minute, and SMS
gateways cap messages per number per day. Every message handed to such a destination is counted
(``ProviderSend``), and senders lock the destination's row to count and reserve in turn, so workers
never overshoot together. When the slots left would not carry everything waiting for a destination,
the last slot carries a digest of as much of it as a digest holds; with no slot left, notifications
wait, without using an attempt, until the window frees one.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from incidents.services.calendar import BEIJING

from .models import ChannelKind, Destination, ProviderSend, Robot

# How many notifications one digest carries: its lines are bounded, so this bounds its size, well
# within WeCom's 2,048 bytes of text and the others' larger limits. What does not fit waits for the
# next slot: a digest is never cut.
DIGEST_CAPACITY = {Robot.Provider.WECOM: 8, Robot.Provider.DINGTALK: 30, Robot.Provider.FEISHU: 30, "sms": 50}


@dataclass(frozen=True)
class Window:
    """At most ``limit`` messages per ``length`` (rolling), or per Beijing calendar day when ``length`` is None."""

    limit: int
    length: timedelta | None = None

    def start(self, now: datetime) -> datetime:
        if self.length is not None:
            return now - self.length
        return datetime.combine(timezone.localtime(now, BEIJING).date(), time(0), tzinfo=BEIJING)

    def frees_at(self, now: datetime, oldest: datetime) -> datetime:
        if self.length is not None:
            return oldest + self.length
        return self.start(now) + timedelta(days=1)


def robot_windows(provider) -> list[Window]:
    if provider == Robot.Provider.FEISHU:
        return [
            Window(settings.FEISHU_MESSAGES_PER_SECOND, timedelta(seconds=1)),
            Window(settings.FEISHU_MESSAGES_PER_MINUTE, timedelta(minutes=1)),
        ]
    return [Window(settings.ROBOT_MESSAGES_PER_MINUTE, timedelta(minutes=1))]


@dataclass(frozen=True)
class Limited:
    """A rate-limited destination, and which notifications go to it."""

    key: str
    windows: list[Window]
    same_destination: dict
    digest_capacity: int


def limited(notification) -> Limited | None:
    person = notification.recipient
    if notification.channel == ChannelKind.ROBOT:
        robot = Robot.of_department(person.department_id)
        if robot is None:
            return None
        return Limited(
            f"robot:{robot.pk}",
            robot_windows(robot.provider),
            {"channel": ChannelKind.ROBOT, "recipient__department_id": person.department_id},
            DIGEST_CAPACITY.get(robot.provider, 30),
        )
    if notification.channel == ChannelKind.SMS and person.phone:
        return Limited(
            f"sms:{person.phone}",
            [Window(settings.SMS_DAILY_CAP_PER_NUMBER)],
            {"channel": ChannelKind.SMS, "recipient__phone": person.phone},
            DIGEST_CAPACITY["sms"],
        )
    return None


def reserve(destination: Limited, now) -> tuple[int, datetime | None]:
    """Lock the destination and count: the slots left before this message (at least 1 means one is now
    reserved), or 0 and when the first slot frees. The caller is inside ``transaction.atomic``."""
    Destination.objects.get_or_create(key=destination.key)
    Destination.objects.select_for_update().get(key=destination.key)
    slots, frees_at = None, None
    for window in destination.windows:
        sent = ProviderSend.objects.filter(destination=destination.key, sent_at__gt=window.start(now))
        left = window.limit - sent.count()
        if left <= 0:
            oldest = sent.order_by("sent_at").values_list("sent_at", flat=True).first()
            frees_at = max(frees_at or now, window.frees_at(now, oldest or now))
        slots = left if slots is None else min(slots, left)
    if slots > 0:
        ProviderSend.objects.create(destination=destination.key, sent_at=now)
        return slots, None
    return 0, frees_at


def forget_old_sends(now) -> None:
    """Counts older than the longest window (a day) are no longer needed."""
    ProviderSend.objects.filter(sent_at__lt=now - timedelta(days=2)).delete()
