"""Readiness (docs/rules.md, "Reaching people directly, and knowing beforehand who can be reached"): for every
department that handles incidents and every step of the ladders in force for it, who would be reached right now
and on which channels, and the gaps found before an incident needs them.

A gap is one of:

- ``vacant_post``: an audience of a step whose post nobody holds (no duty officer on duty or at all, no
  principal or responsible leader, no government office or publicity department or nobody leading it…);
- ``unreachable``: a person a step reaches on none of the channels it lists;
- ``channel_not_configured``: a channel a step lists that is not configured (no robot for the department of a
  person it reaches, no work-message app serving it, no SMS gateway, no webhook URL, a channel the tracker does
  not know);
- ``roster_gap``: stretches of the next 14 days when nobody is rostered as duty officer;
- ``no_roster``: a department that keeps no roster at all.

Departments that handle incidents are those with an active duty officer, a roster, or an incident logged in
them; the others (a government itself, an office that only coordinates) are read for the government's
audiences only. Gaps are deduplicated: one per post, per person, per department's channel (per channel for
channels configured once for everyone) and per department's roster, naming every step they concern.

Everything is read once, whatever the size of the organisation: the tree, the people, the robots, the
work-message apps, the ladders, the shifts of the coming 14 days and which departments handle incidents
(``ReadinessDirectory``).

Channels say whether they are configured through ``CONFIGURATION`` (``Configuration`` per channel kind); a
new channel either registers there or carries a ``configuration`` attribute of its own.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.models import Department, Incident, Person, Role, Severity
from opinion_tracker.lib.beijing import BEIJING

from . import channels
from .models import Audience, ChannelKind, DutyShift, EscalationPolicy, Robot, WorkApp
from .recipients import Addressees, Directory
from .roster import gaps_between
from .steps import step_label
from .timeline_text import channel_label

HORIZON = timedelta(days=14)
COUNT_CACHE_KEY = "notifications:readiness:gap-count"
COUNT_CACHE_SECONDS = 60
# At most this many stretches of a roster gap are spelt out; the rest are counted.
STRETCHES_SHOWN = 3


class Kind:
    VACANT_POST = "vacant_post"
    UNREACHABLE = "unreachable"
    CHANNEL_NOT_CONFIGURED = "channel_not_configured"
    ROSTER_GAP = "roster_gap"
    NO_ROSTER = "no_roster"

    ORDER = (VACANT_POST, UNREACHABLE, CHANNEL_NOT_CONFIGURED, NO_ROSTER, ROSTER_GAP)


KIND_LABELS = {
    Kind.VACANT_POST: gettext_lazy("Vacant post"),
    Kind.UNREACHABLE: gettext_lazy("Unreachable person"),
    Kind.CHANNEL_NOT_CONFIGURED: gettext_lazy("Channel not configured"),
    Kind.ROSTER_GAP: gettext_lazy("Roster gap"),
    Kind.NO_ROSTER: gettext_lazy("No roster"),
}


# How each channel knows it is configured. ``missing(department_id, directory)`` says why it is not (or
# ``None``); ``per_department`` channels are configured for each department (a group robot), the others once.
@dataclass(frozen=True)
class Configuration:
    missing: Callable[[int | None, "ReadinessDirectory"], str | None]
    per_department: bool = False


def _robot_missing(department_id, directory):
    return None if directory.robot(department_id) else _("no enabled group robot")


def _sms_missing(department_id, directory):
    return None if settings.SMS_GATEWAY_URL else str(channels.sms.NOT_CONFIGURED)


def _webhook_missing(department_id, directory):
    return None if settings.OUTBOUND_WEBHOOK_URL else str(channels.webhook.NOT_CONFIGURED)


def _always(department_id, directory):
    return None


def _work_app_missing(provider, kind):
    def missing(department_id, directory):
        if directory.work_app(provider, department_id):
            return None
        return _("no enabled %(provider)s app serves it") % {"provider": channels.CHANNELS[kind].provider_label}

    return missing


CONFIGURATION: dict[str, Configuration] = {
    ChannelKind.IN_APP: Configuration(_always),
    ChannelKind.EMAIL: Configuration(_always),  # Django's mail backend is always set (SMTP by default)
    ChannelKind.ROBOT: Configuration(_robot_missing, per_department=True),
    ChannelKind.SMS: Configuration(_sms_missing),
    ChannelKind.WEBHOOK: Configuration(_webhook_missing),
    **{
        kind: Configuration(_work_app_missing(provider, kind), per_department=True)
        for provider, kind in WorkApp.CHANNEL.items()
    },
}
UNKNOWN_CHANNEL = gettext_lazy("The tracker has no channel “%(channel)s”.")


def configuration_of(kind: str) -> Configuration | None:
    """The channel's own ``configuration`` if it has one, else the one registered here; ``None`` for a
    channel the tracker does not know."""
    channel = channels.CHANNELS.get(kind)
    if channel is None:
        return None
    return getattr(channel, "configuration", None) or CONFIGURATION.get(kind, Configuration(_always))


class ReadinessDirectory(Directory):
    """A ``Directory`` whose lookups are answered from what it read once: departments, active people,
    duty officers, robots, ladders and the shifts of ``now`` to ``now + HORIZON``."""

    def __init__(self, now):
        super().__init__(now)
        self.end = now + HORIZON
        self.departments = {d.pk: d for d in Department.objects.order_by("code")}
        self.active = {p.pk: p for p in Person.objects.filter(is_active=True).order_by("pk")}
        duty_officers = Person.groups.through.objects.filter(group__name=Role.DUTY_OFFICER)
        self.duty_officers_in = defaultdict(list)
        for person_id in duty_officers.order_by("person_id").values_list("person_id", flat=True):
            person = self.active.get(person_id)
            if person is not None and person.department_id is not None:
                self.duty_officers_in[person.department_id].append(person)
        self.robots = {
            robot.department_id: robot for robot in Robot.objects.filter(enabled=True).order_by("department", "pk")
        }
        self.policies = list(EscalationPolicy.objects.prefetch_related("steps"))
        shifts = DutyShift.objects.filter(starts_at__lt=self.end, ends_at__gt=now).order_by("starts_at", "pk")
        self.shifts = defaultdict(list)
        for shift in shifts:
            self.shifts[shift.department_id, shift.post].append(shift)
        self.rostered = set(DutyShift.objects.order_by().values_list("department_id", flat=True).distinct())
        with_incidents = Incident.objects.order_by().values_list("department_id", flat=True).distinct()
        self.handling = (set(with_incidents) | self.rostered | set(self.duty_officers_in)) & set(self.departments)

    def _department(self, department_id):
        return self.departments[department_id]

    def _robot(self, department_id):
        return self.robots.get(department_id)

    def _people(self, ids):
        return [self.active[pk] for pk in dict.fromkeys(ids) if pk in self.active]

    def on_duty(self, department_id, post) -> list[Person]:
        shifts = self.shifts[department_id, post]
        return self._people([s.person_id for s in shifts if s.starts_at <= self.now < s.ends_at])

    def duty_officers(self, department_id) -> list[Person]:
        return self.duty_officers_in[department_id]

    def ladders(self, government_ids, severity):
        return [
            p
            for p in self.policies
            if p.severity == severity and (p.government_id is None or p.government_id in government_ids)
        ]


@dataclass
class Gap:
    kind: str
    department: int | None
    step: int | None
    person: int | None
    channel: str | None
    detail: str
    steps: list[str] = field(default_factory=list)  # the step codes it concerns, in the order found

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "department": self.department,
            "step": self.step,
            "person": self.person,
            "channel": self.channel,
            "detail": self.detail,
        }

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]


@dataclass
class StepReach:
    """Who one step of a department's ladder for one severity would reach now, each with their channels."""

    severity: str
    step: object  # EscalationStep
    reached: list[tuple[Person, list[str]]]

    @property
    def label(self):
        return step_label(self.step.code)

    @property
    def severity_label(self):
        return Severity(self.severity).label


@dataclass
class Readiness:
    reach: dict[int, list[StepReach]]  # by department id, departments that handle incidents only
    gaps: list[Gap]
    departments: dict[int, Department]

    @property
    def ok(self) -> bool:
        return not self.gaps

    def as_dict(self) -> dict:
        return {"ok": self.ok, "gaps": [gap.as_dict() for gap in self.gaps]}

    def within(self, department_ids) -> "Readiness":
        """The gaps of ``department_ids`` and those of no department (``None``: all of them)."""
        if department_ids is None:
            return self
        gaps = [g for g in self.gaps if g.department is None or g.department in department_ids]
        reach = {pk: steps for pk, steps in self.reach.items() if pk in department_ids}
        return Readiness(reach, gaps, self.departments)


def vacant_post(directory, department, audience) -> tuple[int, str]:
    """The department whose post is empty for ``audience`` read from ``department``, and why, in words."""
    government = directory._nearest_government(department.pk)
    label = Audience(audience).label
    if audience in (Audience.CONTACTS, Audience.SHIFT_LEADER, Audience.RESPONSIBLE_LEADER, Audience.PRINCIPAL_LEADER):
        if audience == Audience.CONTACTS:
            why = _("nobody is on duty and it has no active duty officer")
        elif audience == Audience.SHIFT_LEADER:
            why = _("no leader is on duty and it has no active responsible leader")
        else:
            why = _("the post is empty or its holder is inactive")
        return department.pk, _("%(department)s: %(post)s — %(why)s.") % {
            "department": department,
            "post": label,
            "why": why,
        }
    if government is None:
        return department.pk, _("%(department)s is under no government: nobody is %(post)s.") % {
            "department": department,
            "post": label,
        }
    linked = {
        Audience.OFFICE_LEADERS: government.supervising_office_id,
        Audience.PUBLICITY_LEADERS: government.publicity_department_id,
    }
    if audience in linked and linked[audience] is None:
        return government.pk, _("%(government)s has no department set for %(post)s.") % {
            "government": government,
            "post": label,
        }
    where = directory.department(linked[audience]) if audience in linked else government
    return where.pk, _("%(department)s: %(post)s — the post is empty or its holder is inactive.") % {
        "department": where,
        "post": label,
    }


def moment(at) -> str:
    return timezone.localtime(at, BEIJING).strftime("%m-%d %H:%M")


class Collector:
    """Gaps by key, each once, remembering every step it concerns."""

    def __init__(self):
        self.gaps: dict[tuple, Gap] = {}

    def add(self, key, step, **fields):
        gap = self.gaps.get(key)
        if gap is None:
            gap = self.gaps[key] = Gap(step=step.pk if step is not None else None, **fields)
        if step is not None and step.code not in gap.steps:
            gap.steps.append(step.code)

    def result(self, departments) -> list[Gap]:
        gaps = list(self.gaps.values())
        for gap in gaps:
            if gap.steps:
                names = "、".join(str(step_label(code)) for code in gap.steps)
                gap.detail = _("%(detail)s Steps: %(steps)s.") % {"detail": gap.detail, "steps": names}

        def order(gap):
            department = departments.get(gap.department)
            return Kind.ORDER.index(gap.kind), department.code if department else "", gap.person or 0, gap.channel or ""

        return sorted(gaps, key=order)


def readiness(now=None) -> Readiness:
    now = now or timezone.now()
    directory = ReadinessDirectory(now)
    found = Collector()
    reach: dict[int, list[StepReach]] = {}
    handling = [d for d in directory.departments.values() if d.pk in directory.handling]
    for department in handling:
        reach[department.pk] = []
        for severity in Severity.values:
            policy = directory.policy(department.pk, severity)
            if policy is None:
                continue
            for step in policy.steps.all():
                reach[department.pk].append(step_reach(directory, found, department, severity, step))
    roster_gaps(directory, found, handling)
    return Readiness(reach, found.result(directory.departments), directory.departments)


def step_reach(directory, found, department, severity, step) -> StepReach:
    for audience in step.audiences:
        if not directory.recipients(department.pk, audience):
            where, detail = vacant_post(directory, department, audience)
            fields = {"kind": Kind.VACANT_POST, "department": where, "person": None, "channel": None}
            found.add((Kind.VACANT_POST, where, audience), step, detail=detail, **fields)
    people = directory.reach(Addressees((department.pk,)), step.audiences)
    for kind in step.channels:
        configuration = configuration_of(kind)
        if configuration is None:
            detail = UNKNOWN_CHANNEL % {"channel": kind}
            fields = {"kind": Kind.CHANNEL_NOT_CONFIGURED, "department": None, "person": None, "channel": kind}
            found.add((Kind.CHANNEL_NOT_CONFIGURED, None, kind), step, detail=str(detail), **fields)
            continue
        where = [p.department_id for p in people] if configuration.per_department else [None]
        for department_id in dict.fromkeys(where):
            missing = configuration.missing(department_id, directory)
            if missing:
                owner = directory.departments.get(department_id)
                detail = (
                    _("%(department)s: %(missing)s.") % {"department": owner, "missing": missing} if owner else missing
                )
                fields = {"kind": Kind.CHANNEL_NOT_CONFIGURED, "department": department_id, "person": None}
                found.add(
                    (Kind.CHANNEL_NOT_CONFIGURED, department_id, kind), step, channel=kind, detail=detail, **fields
                )
    reached = []
    for person in people:
        usable, reasons = [], []
        for kind in step.channels:
            channel = channels.CHANNELS.get(kind)
            reason = channel.unreachable(person, directory) if channel else UNKNOWN_CHANNEL % {"channel": kind}
            if reason:
                reasons.append(f"{channel_label(kind)}：{str(reason).rstrip('。.')}")
            else:
                usable.append(kind)
        reached.append((person, usable))
        if not usable:
            detail = _("%(person)s cannot be reached on any channel of the step (%(reasons)s).") % {
                "person": person,
                "reasons": "; ".join(reasons),
            }
            fields = {"kind": Kind.UNREACHABLE, "department": person.department_id, "channel": None}
            found.add((Kind.UNREACHABLE, person.pk), step, person=person.pk, detail=detail, **fields)
    return StepReach(severity, step, reached)


def roster_gaps(directory, found, departments):
    """No roster at all, or stretches of the next 14 days with no duty officer rostered."""
    for department in departments:
        fields = {"department": department.pk, "person": None, "channel": None}
        if department.pk not in directory.rostered:
            detail = _("%(department)s keeps no duty roster.") % {"department": department}
            found.add((Kind.NO_ROSTER, department.pk), None, kind=Kind.NO_ROSTER, detail=detail, **fields)
            continue
        shifts = directory.shifts[department.pk, DutyShift.Post.DUTY_OFFICER]
        stretches = gaps_between(shifts, directory.now, directory.end)
        if not stretches:
            continue
        shown = "、".join(f"{moment(start)}–{moment(end)}" for start, end in stretches[:STRETCHES_SHOWN])
        if len(stretches) > STRETCHES_SHOWN:
            shown += _(" and %(count)d more") % {"count": len(stretches) - STRETCHES_SHOWN}
        detail = _("%(department)s has no duty officer rostered in the next 14 days for: %(stretches)s (Beijing time).")
        detail %= {"department": department, "stretches": shown}
        found.add((Kind.ROSTER_GAP, department.pk), None, kind=Kind.ROSTER_GAP, detail=detail, **fields)


def gap_count() -> int:
    """How many gaps there are, cached for a minute (every administrator's page shows it)."""
    count = cache.get(COUNT_CACHE_KEY)
    if count is None:
        count = len(readiness().gaps)
        cache.set(COUNT_CACHE_KEY, count, COUNT_CACHE_SECONDS)
    return count
