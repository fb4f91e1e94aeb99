"""Provider limits, respected without dropping anything.

DingTalk and WeCom robots take 20 messages a minute, a Feishu bot 5 a second and 100 a minute, SMS
gateways cap messages per number per day, and work-message apps cap what one app sends one person.
Every message handed to such a destination is counted (``ProviderSend``), and senders lock the
destination's row to count and reserve in turn, so workers never overshoot together. When the slots
left would not carry everything waiting for a destination, the last slot carries a digest of as much
of it as a digest holds; with no slot left, notifications wait, without using an attempt, until the
window frees one.

A provider counts a message when it receives it, which is after we reserve its slot and before the
send returns: each message is counted at the latest moment the provider can have seen it (the end
of the sender's lease while it is on its way, the end of the send once done), and a rolling window
is widened by ``PROVIDER_WINDOW_MARGIN_SECONDS`` for clock skew and the provider's own rounding. A
destination the provider throttles anyway is paused for the provider's penalty (``pause``).
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from opinion_tracker.lib.beijing import BEIJING

from .channels import CHANNELS
from .channels.work_message import WorkMessageChannel
from .models import ChannelKind, Destination, ProviderSend, Robot, WorkApp

# How many notifications one digest carries: its lines are bounded, so this bounds its size, well
# within WeCom's 2,048 bytes of text and the others' larger limits. What does not fit waits for the
# next slot: a digest is never cut.
DIGEST_CAPACITY = {Robot.Provider.WECOM: 8, Robot.Provider.DINGTALK: 30, Robot.Provider.FEISHU: 30, "sms": 50}
# A 企业微信 text card's description holds 512 bytes, a 钉钉 notice 2,048: two and six digest lines at their longest.
WORK_DIGEST_CAPACITY = {WorkApp.Provider.WECOM: 2, WorkApp.Provider.DINGTALK: 6, WorkApp.Provider.FEISHU: 30}


@dataclass(frozen=True)
class Window:
    """At most ``limit`` messages per ``length`` (rolling), or per Beijing calendar day when ``length`` is None."""

    limit: int
    length: timedelta | None = None

    def start(self, now: datetime) -> datetime:
        if self.length is not None:
            return now - self.length - margin()
        return datetime.combine(timezone.localtime(now, BEIJING).date(), time(0), tzinfo=BEIJING)

    def frees_at(self, now: datetime, oldest: datetime) -> datetime:
        if self.length is not None:
            return oldest + self.length + margin()
        return self.start(now) + timedelta(days=1)


def margin() -> timedelta:
    return timedelta(seconds=settings.PROVIDER_WINDOW_MARGIN_SECONDS)


def robot_windows(provider) -> list[Window]:
    if provider == Robot.Provider.FEISHU:
        return [
            Window(settings.FEISHU_MESSAGES_PER_SECOND, timedelta(seconds=1)),
            Window(settings.FEISHU_MESSAGES_PER_MINUTE, timedelta(minutes=1)),
        ]
    return [Window(settings.ROBOT_MESSAGES_PER_MINUTE, timedelta(minutes=1))]


def work_windows(provider) -> list[Window]:
    """What each platform lets one app send one person: 钉钉 500 a day (an internal app), 企业微信 30 a
    minute and 1,000 an hour (beyond which it drops messages without a word), 飞书 5 a second."""
    if provider == WorkApp.Provider.DINGTALK:
        return [Window(500)]
    if provider == WorkApp.Provider.WECOM:
        return [Window(30, timedelta(minutes=1)), Window(1000, timedelta(hours=1))]
    return [Window(5, timedelta(seconds=1))]


@dataclass(frozen=True)
class Limited:
    """A rate-limited destination, and which notifications go to it; ``label`` names it for people."""

    key: str
    windows: list[Window]
    same_destination: dict
    digest_capacity: int
    label: str


def robot_destination(robot) -> Limited:
    """A department's group robot (the notifications of its department's people go to it)."""
    return Limited(
        f"robot:{robot.pk}",
        robot_windows(robot.provider),
        {"channel": ChannelKind.ROBOT, "recipient__department_id": robot.department_id},
        DIGEST_CAPACITY.get(robot.provider, 30),
        str(robot),
    )


def work_destination(kind: str, app, person) -> Limited:
    """One person through one work-message app."""
    return Limited(
        f"{kind}:{app.pk}:{person.pk}",
        work_windows(app.provider),
        {"channel": kind, "recipient_id": person.pk},
        WORK_DIGEST_CAPACITY[app.provider],
        f"{app} · {person}",
    )


def sms_destination(phone: str) -> Limited:
    return Limited(
        f"sms:{phone}",
        [Window(settings.SMS_DAILY_CAP_PER_NUMBER)],
        {"channel": ChannelKind.SMS, "recipient__phone": phone},
        DIGEST_CAPACITY["sms"],
        f"{ChannelKind.SMS.label} {phone}",
    )


def limited(notification) -> Limited | None:
    """Where the notification goes, when that destination is rate-limited."""
    person = notification.recipient
    if notification.channel == ChannelKind.ROBOT:
        robot = Robot.of_department(person.department_id)
        return robot_destination(robot) if robot is not None else None
    channel = CHANNELS.get(notification.channel)
    if isinstance(channel, WorkMessageChannel):
        app = WorkApp.serving(channel.provider, person.department)
        return work_destination(notification.channel, app, person) if app is not None else None
    if notification.channel == ChannelKind.SMS and person.phone:
        return sms_destination(person.phone)
    return None


def reserve(destination: Limited, now, lease: timedelta) -> tuple[int, datetime | None, int | None]:
    """Lock the destination and count: the slots left before this message, when it is paused or has
    none left the time it frees, and the reservation (a ``ProviderSend`` id) when a slot was taken.
    The caller is inside ``transaction.atomic``."""
    Destination.objects.get_or_create(key=destination.key)
    row = Destination.objects.select_for_update().get(key=destination.key)
    if row.paused_until and row.paused_until > now:
        return 0, row.paused_until, None
    lefts, frees_at = [], None
    for window in destination.windows:
        sent = ProviderSend.objects.filter(destination=destination.key, sent_at__gt=window.start(now))
        left = window.limit - sent.count()
        if left <= 0:
            oldest = sent.order_by("sent_at").values_list("sent_at", flat=True).first()
            frees_at = max(frees_at or now, window.frees_at(now, oldest or now))
        lefts.append(left)
    slots = min(lefts)
    if slots > 0:
        # On its way until the lease ends at the latest; ``seen`` moves it to when the send ended.
        return slots, None, ProviderSend.objects.create(destination=destination.key, sent_at=now + lease).pk
    return 0, frees_at, None


def seen(reservation: int | None, now) -> None:
    """The send of a reserved message has ended: the provider saw it by ``now``."""
    if reservation is not None:
        ProviderSend.objects.filter(pk=reservation).update(sent_at=now)


def pause(key: str, until) -> None:
    """Send nothing more to the destination before ``until`` (the provider's throttling penalty)."""
    Destination.objects.get_or_create(key=key)
    Destination.objects.filter(key=key).filter(Q(paused_until__isnull=True) | Q(paused_until__lt=until)).update(
        paused_until=until
    )


def first_to_tell(key: str, now, until) -> bool:
    """Whether the administrators should hear that this destination holds messages until ``until``:
    once per stretch of waiting, however many messages wait through it."""
    Destination.objects.get_or_create(key=key)
    return bool(
        Destination.objects.filter(key=key)
        .filter(Q(told_until__isnull=True) | Q(told_until__lte=now))
        .update(told_until=until)
    )


def forget_old_sends(now) -> None:
    """Counts older than the longest window (a day) are no longer needed."""
    ProviderSend.objects.filter(sent_at__lt=now - timedelta(days=2)).delete()
