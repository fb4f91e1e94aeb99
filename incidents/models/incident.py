"""Incidents (舆情事件), their obligations (one deadline each), the actions that meet them, and the timeline."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Least
from django.utils.translation import gettext_lazy as _

from .organisation import Department

# The event clock's start (``Incident.clock_started_at``) for queries: the earlier of occurrence, when known,
# and discovery (docs/rules.md, "Obligations and clocks").
EVENT_CLOCK_START = Least(Coalesce("occurred_at", "discovered_at"), "discovered_at")


class Severity(models.TextChoices):
    ESPECIALLY_MAJOR = "especially_major", _("Especially major (I)")
    MAJOR = "major", _("Major (II)")
    RELATIVELY_MAJOR = "relatively_major", _("Relatively major (III)")
    GENERAL = "general", _("General (IV)")

    @classmethod
    def is_lower(cls, severity: str, than: str) -> bool:
        """Whether ``severity`` is a lower grade than ``than`` (the choices run from the gravest down)."""
        return cls.values.index(severity) > cls.values.index(than)


class ObligationKind(models.TextChoices):
    INTERNAL_REPORT = "internal_report", _("Internal report")
    FIRST_STATEMENT = "first_statement", _("First authoritative statement")
    PRESS_CONFERENCE = "press_conference", _("Press conference")
    RESPONSE = "response", _("Response")
    FOLLOW_UP = "follow_up", _("Follow-up")
    VERIFICATION_REPORT = "verification_report", _("Verification report")
    INSTRUCTION = "instruction", _("Leader's instruction (批示)")
    RECTIFICATION = "rectification", _("Rectification report (整改报告)")


class Clock(models.TextChoices):
    """Where an obligation's clock starts."""

    EVENT = "event", _("Event (earliest of occurrence and discovery)")
    DISCOVERY = "discovery", _("Discovery")
    LATEST_PUBLIC_RESPONSE = "latest_public_response", _("Latest public response")
    INSTRUCTION = "instruction", _("The instruction being given")
    FINDING = "finding", _("The admonishing interview (约谈整改) being recorded")


class ActionKind(models.TextChoices):
    STATEMENT = "statement", _("Statement")
    PRESS_CONFERENCE = "press_conference", _("Press conference")
    BRIEFING = "briefing", _("Briefing")
    INTERVIEW = "interview", _("Media interview")
    INTERNAL_REPORT = "internal_report", _("Internal report")
    VERIFICATION_REPORT = "verification_report", _("Verification report")
    INSTRUCTION_REPLY = "instruction_reply", _("Reply to an instruction")
    SITUATION_NOTE = "situation_note", _("Situation note")
    RECTIFICATION_REPORT = "rectification_report", _("Rectification report (整改报告)")


PUBLIC_ACTION_KINDS = frozenset(
    {ActionKind.STATEMENT, ActionKind.PRESS_CONFERENCE, ActionKind.BRIEFING, ActionKind.INTERVIEW}
)

# Which obligations each kind of action satisfies (docs/rules.md, "Obligations and clocks").
SATISFIED_BY: dict[str, frozenset[str]] = {
    ObligationKind.INTERNAL_REPORT: frozenset({ActionKind.INTERNAL_REPORT}),
    ObligationKind.FIRST_STATEMENT: PUBLIC_ACTION_KINDS,
    ObligationKind.PRESS_CONFERENCE: frozenset({ActionKind.PRESS_CONFERENCE, ActionKind.BRIEFING}),
    ObligationKind.RESPONSE: PUBLIC_ACTION_KINDS,
    ObligationKind.FOLLOW_UP: PUBLIC_ACTION_KINDS,
    ObligationKind.VERIFICATION_REPORT: frozenset({ActionKind.VERIFICATION_REPORT}),
    ObligationKind.INSTRUCTION: frozenset({ActionKind.INSTRUCTION_REPLY}),  # a reply to that very instruction
    ObligationKind.RECTIFICATION: frozenset({ActionKind.RECTIFICATION_REPORT}),  # for that very interview
}

# Obligations a person's decision creates, not the policy: they are owed whatever becomes of the incident's
# grade, and a rectification even once the incident is closed.
CASEWORK_KINDS = frozenset({ObligationKind.INSTRUCTION, ObligationKind.RECTIFICATION})


class IncidentQuerySet(models.QuerySet):
    def search(self, words: str):
        """Incidents whose title or summary holds every word of ``words``, in any case (the API's ``q``, the
        duty board's search box)."""
        found = self
        for word in words.split():
            found = found.filter(Q(title__icontains=word) | Q(summary__icontains=word))
        return found


class Incident(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    source_platform = models.CharField(_("source platform"), max_length=50, blank=True)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    occurred_at = models.DateTimeField(_("event occurred at"), null=True, blank=True)
    discovered_at = models.DateTimeField(_("discovered at"))
    logged_at = models.DateTimeField(_("logged at"))
    department = models.ForeignKey(
        Department, verbose_name=_("responsible department"), on_delete=models.PROTECT, related_name="incidents"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("logged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.TextField(_("reason for closing"), blank=True)
    first_public_response_at = models.DateTimeField(
        _("first public response at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the earliest public response recorded was published."),
    )
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        blank=True,
        help_text=_("The monitoring system's own id for an incident it reported (intake)."),
    )
    co_departments = models.ManyToManyField(
        Department,
        verbose_name=_("co-handling departments (配合单位)"),
        blank=True,
        related_name="co_handled_incidents",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        editable=False,
    )
    follow_on_of = models.ForeignKey(
        "self",
        verbose_name=_("follow-on of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ons",
        editable=False,
        help_text=_("The closed incident this one flared up from (二次发酵、次生舆情)."),
    )

    objects = IncidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-discovered_at", "-id"]
        indexes = [
            models.Index(fields=["department", "state", "discovered_at"]),
            # A period's incidents by discovery, with what the compliance report times from them: its figures
            # then read this index alone, not the incidents' rows (a province's year in a quarter of the time).
            models.Index(
                fields=["discovered_at"],
                include=["occurred_at", "first_public_response_at", "logged_at"],
                name="incident_by_discovery",
            ),
        ]
        constraints = [
            # Intake is idempotent: a monitoring system that posts the same incident twice (a retry, or
            # two posts at once) gets the first one back; this constraint, not a lookup, makes it so.
            models.UniqueConstraint(
                fields=["logged_by", "external_id"],
                condition=~Q(external_id=""),
                name="one_incident_per_external_id",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def clock_started_at(self):
        """The event clock's start: the regulation counts from the event, when it is known to be earlier
        (``EVENT_CLOCK_START`` is the same rule for queries)."""
        if self.occurred_at is not None and self.occurred_at < self.discovered_at:
            return self.occurred_at
        return self.discovered_at

    def clock_start(self, clock: str):
        """When an obligation on the incident's own ``clock`` starts counting."""
        if clock == Clock.LATEST_PUBLIC_RESPONSE:
            raise ValueError("The follow-up clock starts at a public response, not at the incident.")
        return self.discovered_at if clock == Clock.DISCOVERY else self.clock_started_at


class Obligation(models.Model):
    """One deadline with its own clock, state and (in notifications) escalation history.

    ``next_step_at`` belongs to the escalation engine, which sets it to its next step's time. This
    app only sets it to "now" when it makes an obligation, moves a deadline or regrades the incident,
    which asks the next enforcement pass to (re)plan the escalation; it never needs to know the ladder.

    The offset is copied from the policy when the obligation is made, so a later policy change
    never rewrites a deadline already computed; a provisional working-day deadline is recomputed
    from the same offset when the year's official calendar is loaded.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        OVERDUE = "overdue", _("Overdue")
        MET = "met", _("Met")
        MET_LATE = "met_late", _("Met late")
        WAIVED = "waived", _("Waived")

    OPEN_STATES = (State.PENDING, State.OVERDUE)

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="obligations"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=ObligationKind.choices)
    clock = models.CharField(_("clock"), max_length=30, choices=Clock.choices)
    clock_started_at = models.DateTimeField(_("clock started at"))
    offset = models.DurationField(_("offset"), null=True, blank=True)
    offset_working_days = models.PositiveSmallIntegerField(_("offset in working days"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"))
    original_due_at = models.DateTimeField(
        _("deadline before extension"),
        null=True,
        blank=True,
        help_text=_("Set when an extension was approved: the deadline the compliance figures judge it by."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("owed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The department an instruction is addressed to; empty: the incident's lead department."),
    )
    instruction = models.ForeignKey(
        "Instruction",
        verbose_name=_("instruction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="obligations",
        db_index=False,  # the unique constraint's index (instruction, department) serves every lookup
    )
    finding = models.OneToOneField(
        "AccountabilityFinding",
        verbose_name=_("admonishing interview"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification",
        help_text=_("The 约谈整改 a rectification report is owed for."),
    )
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_("Computed before the year's official working calendar was loaded."),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    met_by = models.ForeignKey(
        "Action", verbose_name=_("met by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Waiver(models.TextChoices):
        """Why an obligation was waived: a person's decision, or the tracker following one."""

        APPROVED = "approved", _("Approved by a leader")
        REGRADED = "regraded", _("No longer required after regrading")
        CLOSED = "closed", _("Incident closed")
        MERGED = "merged", _("Merged into another incident")

    waived_at = models.DateTimeField(_("waived at"), null=True, blank=True)
    waiver_kind = models.CharField(_("kind of waiver"), max_length=10, choices=Waiver.choices, blank=True)
    waived_reason = models.TextField(_("reason for waiving"), blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("waiver approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    next_step_at = models.DateTimeField(
        _("next escalation step at"),
        null=True,
        blank=True,
        help_text=_("When the enforcement pass looks at this obligation again; empty when no step is left."),
    )
    created_at = models.DateTimeField(_("created at"))
    # A copy of the incident's discovery time, which never changes once logged: a report for a period
    # finds that period's obligations by their own index instead of joining every obligation ever made.
    incident_discovered_at = models.DateTimeField(_("incident discovered at"), editable=False)

    class Meta:
        verbose_name = _("obligation")
        verbose_name_plural = _("obligations")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "kind"],
                condition=Q(state__in=["pending", "overdue"], instruction__isnull=True, finding__isnull=True),
                name="one_open_obligation_per_kind",
            ),
            models.UniqueConstraint(fields=["instruction", "department"], name="one_obligation_per_addressee"),
            models.CheckConstraint(
                condition=Q(kind="instruction", instruction__isnull=False)
                | (~Q(kind="instruction") & Q(instruction=None)),
                name="instruction_obligation_has_instruction",
            ),
            models.CheckConstraint(
                condition=Q(kind="rectification", finding__isnull=False, department__isnull=False)
                | (~Q(kind="rectification") & Q(finding=None)),
                name="rectification_obligation_has_finding",
            ),
            models.CheckConstraint(
                condition=Q(offset__isnull=True) ^ Q(offset_working_days__isnull=True),
                name="obligation_offset_is_duration_xor_working_days",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["met", "met_late"]) | Q(met_at__isnull=False),
                name="met_obligation_has_met_at",
            ),
            models.CheckConstraint(
                condition=~Q(state="waived") | ~Q(waived_reason=""),
                name="waived_obligation_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(state="pending"),
                name="pending_obligation_due",
            ),
            models.Index(
                fields=["next_step_at"],
                condition=Q(state__in=["pending", "overdue"]),
                name="open_obligation_next_step",
            ),
            # The compliance report: a period's obligations, counted by kind and state (PostgreSQL
            # answers those counts from the index alone).
            models.Index(
                fields=["incident_discovered_at", "kind", "state", "due_at"],
                name="obligation_by_discovery",
            ),
        ]

    def __str__(self):
        return f"{self.incident} · {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def from_casework(self) -> bool:
        """Created by a person's decision (an instruction, an interview), not by the policy."""
        return self.kind in CASEWORK_KINDS

    @staticmethod
    def of_policy() -> Q:
        """The obligations the policy sets, not an instruction's or an interview's."""
        return Q(instruction=None, finding=None)

    @staticmethod
    def owed_by(department_ids) -> Q:
        """Obligations the departments owe: addressed to them (an instruction), or their incidents' own."""
        return Q(department__in=department_ids) | Q(department=None, incident__department__in=department_ids)

    @property
    def extended(self) -> bool:
        return self.original_due_at is not None

    @property
    def deadline_before_extension(self):
        return self.original_due_at or self.due_at

    @property
    def owing_department_id(self) -> int:
        return self.department_id or self.incident.department_id


EVIDENCE_NAME_BYTES = 120


def evidence_path(action, filename):
    """Where an evidence file is kept: its name cut to what every filesystem holds (255 bytes), by bytes,
    since a name of rare characters (CJK Extension B, 4 bytes each) is long in bytes though short in letters."""
    stem, dot, extension = filename.rpartition(".")
    if not dot:
        stem, extension = filename, ""
    stem = stem.encode()[:EVIDENCE_NAME_BYTES].decode(errors="ignore") or "evidence"
    return f"evidence/{action.incident_id}/{stem}{dot}{extension[:10]}"


class Action(models.Model):
    """A response (回应) or internal report, with its evidence. Actions are never deleted."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField(_("kind"), max_length=30, choices=ActionKind.choices)
    channel = models.CharField(_("channel"), max_length=30, blank=True, help_text=_("e.g. website, weibo, wechat"))
    published_at = models.DateTimeField(_("published at"))
    evidence_url = models.URLField(_("evidence URL"), max_length=500, blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to=evidence_path, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    text = models.TextField(
        _("published text"), blank=True, help_text=_("The signed-off text, when published from a draft.")
    )
    text_sha256 = models.CharField(
        _("SHA-256 of the published text"),
        max_length=64,
        blank=True,
        help_text=_("SHA-256 of the text as UTF-8: what went out, checked against what was approved."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("on behalf of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The co-handling or addressed department it was recorded for; empty: the lead department."),
    )
    instruction = models.ForeignKey(
        "Instruction",
        verbose_name=_("instruction answered"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replies",
    )
    finding = models.ForeignKey(
        "AccountabilityFinding",
        verbose_name=_("admonishing interview answered"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification_reports",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["published_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.published_at:%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_ACTION_KINDS


class AppendOnlyQuerySet(models.QuerySet):
    message = "Timeline events are append-only."

    def update(self, **kwargs):
        raise ValueError(self.message)

    def delete(self):
        raise ValueError(self.message)


class TimelineEvent(models.Model):
    """An append-only record of everything that happened to an incident: who, when, what, before/after.

    Each incident's events form a hash chain in id order (``incidents.models.audit``): an event is written
    only through ``incidents.services.timeline``, which links it to the head of its incident's chain.
    """

    class Kind(models.TextChoices):
        LOGGED = "logged", _("Logged")
        EDITED = "edited", _("Details edited")
        ACTION_RECORDED = "action_recorded", _("Action recorded")
        OBLIGATION_ADDED = "obligation_added", _("Obligation added")
        OBLIGATION_MET = "obligation_met", _("Obligation met")
        OBLIGATION_OVERDUE = "obligation_overdue", _("Obligation overdue")
        DEADLINE_RECOMPUTED = "deadline_recomputed", _("Deadline recomputed")
        REGRADED = "regraded", _("Regraded")
        WAIVED = "waived", _("Waived")
        CLOSED = "closed", _("Closed")
        ESCALATED = "escalated", _("Escalated")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACCOUNTABILITY = "accountability", _("Accountability finding recorded")
        CO_DEPARTMENTS_CHANGED = "co_departments_changed", _("Co-handling departments changed")
        TRANSFERRED = "transferred", _("Transferred")
        RETURN_REQUESTED = "return_requested", _("Return asked for")
        DOWNGRADE_REQUESTED = "downgrade_requested", _("Downgrade asked for")
        EXTENSION_REQUESTED = "extension_requested", _("Extension asked for")
        WAIVER_REQUESTED = "waiver_requested", _("Waiver asked for")
        REQUEST_APPROVED = "request_approved", _("Request approved")
        REQUEST_REFUSED = "request_refused", _("Request refused")
        EXTENDED = "extended", _("Deadline extended")
        ASSESSED = "assessed", _("Assessment recorded")
        INSTRUCTED = "instructed", _("Instruction given")
        MERGED = "merged", _("Merged")
        FOLLOW_ON = "follow_on", _("Follow-on incident opened")
        DRAFT_CREATED = "draft_created", _("Statement drafted")
        DRAFT_VERSION = "draft_version", _("Statement revised")
        GATE_APPROVED = "gate_approved", _("Review gate approved")
        GATE_RETURNED = "gate_returned", _("Review gate returned")
        SIGNED_OFF = "signed_off", _("Statement signed off")
        BULLETIN_SENT = "bulletin_sent", _("Report to leaders sent")

    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        on_delete=models.PROTECT,
        related_name="timeline",
        db_index=False,  # the chain's index (incident, id) serves every lookup by incident
    )
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    obligation = models.ForeignKey(
        Obligation, verbose_name=_("obligation"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.JSONField(_("detail"), default=dict, encoder=DjangoJSONEncoder)
    # The chain: the event before this one in its incident's chain (none for the first), and the hashes.
    # The database defaults leave a row inserted around the chain without a hash, which verification names.
    prev_id = models.BigIntegerField(_("previous event"), null=True, editable=False)
    prev_hash = models.CharField(_("previous event's hash"), max_length=64, default="", db_default="", editable=False)
    hash = models.CharField(_("hash"), max_length=64, default="", db_default="", editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "id"], name="timeline_chain")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(AppendOnlyQuerySet.message)
        if not self.hash:
            raise ValueError("A timeline event is written through incidents.services.timeline, into its chain.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(AppendOnlyQuerySet.message)
