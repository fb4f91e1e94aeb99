"""Who was told, and how: the one reading of the notification rows that every page, report and API uses.

A person was told only by a copy that was delivered (``sent``; in-app copies are delivered when written).
Copies that were skipped or failed, or are still on their way, are listed apart with the reason in plain
words, so the record never says that someone was told when they were not (docs/rules.md, "What a message
tells").
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch
from django.utils.translation import gettext as _

from incidents.models import Obligation

from .models import EscalationEntry, Notification
from .steps import step_label


def reason_of(notification: Notification) -> str:
    """Why a copy did not reach the person, in words; empty for a delivered copy."""
    status = Notification.Status
    if notification.status == status.SENT:
        return ""
    if notification.status == status.PENDING:
        return _("Not delivered yet: still being sent.")
    if notification.status == status.FAILED:
        return _("Delivery failed: %(error)s") % {"error": notification.error or _("no answer")}
    return notification.error or _("Skipped.")


def channel_name(kind: str) -> str:
    return str(Notification(channel=kind).get_channel_display())


@dataclass
class Told:
    """One step of one obligation for one person: the channels that delivered it and those that did not."""

    recipient: object
    step: str
    at: datetime
    delivered: list[str] = field(default_factory=list)  # channel kinds
    not_delivered: list[tuple[str, str]] = field(default_factory=list)  # (channel kind, reason)
    acknowledged_at: datetime | None = None

    @property
    def step_label(self) -> str:
        return step_label(self.step)

    @property
    def delivered_names(self) -> list[str]:
        return [channel_name(kind) for kind in self.delivered]

    @property
    def not_delivered_names(self) -> list[tuple[str, str]]:
        return [(channel_name(kind), reason) for kind, reason in self.not_delivered]

    @property
    def not_delivered_text(self) -> str:
        """The copies that did not arrive, on one line: "短信（未配置短信网关。）、群机器人（…）"."""
        return "、".join(f"{name}（{reason.rstrip('。.')}）" for name, reason in self.not_delivered_names)

    def add(self, notification: Notification) -> None:
        if notification.status == Notification.Status.SENT:
            self.delivered.append(notification.channel)
        else:
            self.not_delivered.append((notification.channel, reason_of(notification)))
        self.acknowledged_at = self.acknowledged_at or notification.acknowledged_at


def told_lines(notifications) -> list[Told]:
    """One line per step and person, in the order first recorded (``notifications`` oldest first)."""
    lines: dict[tuple, Told] = {}
    for notification in notifications:
        key = (notification.step, notification.recipient_id)
        if key not in lines:
            lines[key] = Told(notification.recipient, notification.step, notification.created_at)
        lines[key].add(notification)
    return list(lines.values())


def delivered_copy():
    return Exists(Notification.objects.filter(entry=OuterRef("pk"), status=Notification.Status.SENT))


def awaiting_acknowledgement(person):
    """``person``'s entries still asking to be acknowledged: delivered, not acknowledged, obligation open."""
    return EscalationEntry.objects.filter(
        delivered_copy(),
        recipient=person,
        acknowledged_at__isnull=True,
        obligation__state__in=Obligation.OPEN_STATES,
    )


def entries_of(person):
    """``person``'s entries, newest first, with their obligation, incident and channel copies."""
    return (
        EscalationEntry.objects.filter(recipient=person)
        .select_related("obligation__incident__department", "recipient")
        .prefetch_related(Prefetch("notifications", queryset=Notification.objects.order_by("pk")))
        .order_by("-created_at", "-pk")
    )


@dataclass
class Entry:
    """An entry as 我的督办 and the API show it."""

    entry: EscalationEntry
    told: Told  # the copies of the entry's own step
    merged: list[str]  # labels of the lower steps of the same pass that this message also stood for

    @property
    def needs_acknowledgement(self) -> bool:
        return (
            self.entry.acknowledged_at is None
            and self.entry.obligation.state in Obligation.OPEN_STATES
            and bool(self.told.delivered)
        )


def entry_view(entry: EscalationEntry) -> Entry:
    copies = list(entry.notifications.all())
    own = [copy for copy in copies if copy.step == entry.step]
    told = Told(entry.recipient, entry.step, entry.created_at, acknowledged_at=entry.acknowledged_at)
    for copy in own:
        told.add(copy)
    told.acknowledged_at = entry.acknowledged_at
    merged = list(dict.fromkeys(step_label(copy.step) for copy in copies if copy.step != entry.step))
    return Entry(entry, told, merged)
