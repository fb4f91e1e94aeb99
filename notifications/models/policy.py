"""The escalation ladder as data: who is told at each step before and after a deadline, and how.

A national ladder per severity comes with the migrations (docs/rules.md, "The escalation ladder"); a
government may override it for incidents under it. Editing a ladder never changes the escalation
of obligations already running: the first pass that sees an obligation freezes a copy of the ladder
onto it (see ``EscalationPlan``).
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Severity
from incidents.models.government_rules import GovernmentRules

# Escalation happens within days of a deadline; anything beyond a month is a typing error.
MAX_STEP_OFFSET = timedelta(days=31)
MIN_REPEAT_EVERY = timedelta(seconds=1)


class Audience(models.TextChoices):
    """Who a step reaches, resolved along the incident's department chain when the step fires."""

    CONTACTS = "contacts", _("Department contacts (duty officers)")
    SHIFT_LEADER = "shift_leader", _("Leader on duty (带班领导)")
    RESPONSIBLE_LEADER = "responsible_leader", _("Department's responsible leader (分管领导)")
    PRINCIPAL_LEADER = "principal_leader", _("Department's principal leader (主要负责人)")
    OFFICE_LEADERS = "office_leaders", _("Leaders of the government office (办公厅/室)")
    PUBLICITY_LEADERS = "publicity_leaders", _("Leaders of the publicity department (宣传部门)")
    GOVERNMENT_LEADER = "government_leader", _("Principal leader of the government")


class ChannelKind(models.TextChoices):
    IN_APP = "in_app", _("In-app inbox")
    ROBOT = "robot", _("Group robot")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WEBHOOK = "webhook", _("Webhook")
    DINGTALK_WORK = "dingtalk_work", _("DingTalk work notice (钉钉工作通知)")
    WECOM_APP = "wecom_app", _("WeCom app message (企业微信应用消息)")
    FEISHU_APP = "feishu_app", _("Feishu app message (飞书应用消息)")


class EscalationPolicy(GovernmentRules):
    """The ladder for one severity, nationally (no government) or overridden by a government (``GovernmentRules``).

    For an obligation, the nearest government up its incident's department tree that has a ladder
    for the severity wins, else the national one.
    """

    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    repeat_every = models.DurationField(
        _("repeat the last level every"),
        null=True,
        blank=True,
        help_text=_("e.g. 2:00:00; empty for no repeats."),
    )

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        ordering = ["government_id", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["severity"], condition=Q(government__isnull=True), name="one_national_escalation_policy"
            ),
            models.UniqueConstraint(
                fields=["government", "severity"],
                condition=Q(government__isnull=False),
                name="one_escalation_policy_per_government",
            ),
        ]

    def __str__(self):
        return f"{self.scope} · {self.get_severity_display()}"

    def clean(self):
        if self.repeat_every is not None and not MIN_REPEAT_EVERY <= self.repeat_every <= MAX_STEP_OFFSET:
            raise ValidationError({"repeat_every": _("Repeats must be between one second and 31 days apart.")})


class EscalationStep(models.Model):
    """One rung of the ladder, timed from the obligation's deadline or through its window.

    A step at or after the deadline (``offset`` ≥ 0) is an escalation level; one before it is a
    warning, which is pointless once the deadline has passed and is then skipped.
    """

    policy = models.ForeignKey(
        EscalationPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="steps"
    )
    code = models.SlugField(
        _("code"), max_length=30, help_text=_("e.g. warning, due_soon, overdue_l1; shown on each notification.")
    )
    offset = models.DurationField(
        _("time from the deadline"),
        null=True,
        blank=True,
        help_text=_("Negative before the deadline, e.g. -1:00:00 for an hour before; 0 at the deadline."),
    )
    window_fraction = models.DecimalField(
        _("share of the window"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Instead of a time: when this share of the clock-to-deadline window has gone."),
    )
    short_window = models.DurationField(
        _("short window"),
        null=True,
        blank=True,
        help_text=_("For windows this short or shorter, use the short-window offset."),
    )
    short_window_offset = models.DurationField(_("short-window offset"), null=True, blank=True)
    audiences = models.JSONField(_("who is told"), default=list)
    channels = models.JSONField(_("channels"), default=list)

    class Meta:
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        ordering = ["policy", "id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "code"], name="one_step_code_per_policy"),
            models.CheckConstraint(
                condition=Q(offset__isnull=True) ^ Q(window_fraction__isnull=True),
                name="step_is_timed_by_offset_xor_window_share",
            ),
        ]

    def __str__(self):
        return self.code

    def clean(self):
        errors = {}
        if (self.offset is None) == (self.window_fraction is None):
            errors["offset"] = _("Give either a time from the deadline or a share of the window, not both.")
        for field in ("offset", "short_window_offset"):
            value = getattr(self, field)
            if value is not None and abs(value) > MAX_STEP_OFFSET:
                errors[field] = _("At most 31 days from the deadline.")
        if self.window_fraction is not None and not 0 < self.window_fraction < 1:
            errors["window_fraction"] = _("A share of the window is between 0 and 1, e.g. 0.5.")
        if (self.short_window is None) != (self.short_window_offset is None):
            errors["short_window_offset"] = _("Give both the short window and its offset, or neither.")
        elif self.short_window is not None and (
            self.offset is None or (self.offset < timedelta(0)) != (self.short_window_offset < timedelta(0))
        ):
            errors["short_window_offset"] = _("The short-window offset must fall on the same side of the deadline.")
        if self.code.startswith("repeat"):
            errors["code"] = _("Codes starting with “repeat” are kept for repeats.")
        if not self.audiences or not set(self.audiences) <= set(Audience.values):
            errors["audiences"] = _("Choose at least one of the listed audiences.")
        if not self.channels or not set(self.channels) <= set(ChannelKind.values):
            errors["channels"] = _("Choose at least one of the listed channels.")
        if errors:
            raise ValidationError(errors)
