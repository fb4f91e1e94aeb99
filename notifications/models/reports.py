"""Scheduled reports (日报, 周报, 月报; docs/rules.md, "Assessment (考核) and audit trust"): who receives each
government's, and the record of each one sent, whose key makes a period's report impossible to send twice."""

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from incidents.models import Department


class ReportKind(models.TextChoices):
    DAILY = "daily", _("Daily report (日报)")
    WEEKLY = "weekly", _("Weekly report (周报)")
    MONTHLY = "monthly", _("Monthly report (月报)")


class ReportSubscription(models.Model):
    """Which of a government's reports are sent, when, to whom by email, and whether the government office's group
    robot gets a summary. One per government.

    A report falls due at ``send_at`` (Beijing time) on the day after its period: each morning for the 日报, on
    Mondays for the 周报, on the 1st for the 月报. Only reports falling due once the subscription exists are sent
    (``created_at``): a new subscription does not send last week's reports.
    """

    government = models.OneToOneField(
        Department,
        verbose_name=_("government"),
        on_delete=models.CASCADE,
        limit_choices_to={"is_government": True},
        related_name="report_subscription",
    )
    daily = models.BooleanField(_("daily report (日报)"), default=True)
    weekly = models.BooleanField(_("weekly report (周报)"), default=True)
    monthly = models.BooleanField(_("monthly report (月报)"), default=True)
    send_at = models.TimeField(
        _("sent at (Beijing time)"),
        default=time(8, 0),
        help_text=_("The 日报 each morning, the 周报 on Mondays and the 月报 on the 1st, at this time."),
    )
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("people who receive it by email"),
        blank=True,
        related_name="report_subscriptions",
    )
    addresses = models.TextField(
        _("other email addresses"), blank=True, help_text=_("One address per line, for mailboxes that are not people.")
    )
    robot_summary = models.BooleanField(
        _("summary to the government office's group robot"),
        default=True,
        help_text=_("Its office (the supervising office) gets a short summary by its group robot."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        ordering = ["government__code"]

    def __str__(self):
        return str(self.government)

    def clean(self):
        if self.government_id and not self.government.is_government:
            raise ValidationError({"government": _("Reports are sent for a government: choose one.")})
        for address in self.address_list():
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    {"addresses": _("“%(address)s” is not an email address.") % {"address": address}}
                ) from None

    def kinds(self) -> list[str]:
        """The kinds of report sent, in the order of ``ReportKind``."""
        return [kind for kind in ReportKind.values if getattr(self, kind)]

    def address_list(self) -> list[str]:
        return [line.strip() for line in self.addresses.splitlines() if line.strip()]

    def recipients(self) -> list[str]:
        """Every address the email goes to, each once: the active people's, then the others."""
        people = self.people.filter(is_active=True).exclude(email="").order_by("username")
        return list(dict.fromkeys([*people.values_list("email", flat=True), *self.address_list()]))


class SentReport(models.Model):
    """One government's report of one period: claimed by inserting this row, then sent, each way's outcome
    recorded as soon as it is known.

    ``(government, kind, period_start)`` is unique, so of two schedulers due to send the same report one inserts the
    row and the other finds it taken. ``available_at`` is when a run may take the report up again: the end of the
    sender's lease while it sends, the time of the next try after a failure worth retrying. Each way's ``sending``
    is written before its send starts, so a sender that died during a send leaves it ``sending``: the next run
    records it ``unknown`` and tells the administrators instead of sending it again (the report may have gone
    out). Ways still ``pending`` are sent by that run.
    """

    class State(models.TextChoices):
        SENDING = "sending", _("Being sent")
        FINISHED = "finished", _("Finished")
        GIVEN_UP = "given_up", _("Given up")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Not sent yet")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")
        UNKNOWN = "unknown", _("Outcome unknown")
        NOT_ASKED = "not_asked", _("Not asked for")

    government = models.ForeignKey(
        Department, verbose_name=_("government"), on_delete=models.PROTECT, related_name="sent_reports"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    claimed_at = models.DateTimeField(_("claimed at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.SENDING)
    available_at = models.DateTimeField(_("to be taken up again at"))
    attempts = models.PositiveSmallIntegerField(_("failed attempts"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    email_status = models.CharField(_("email"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    email_to = models.JSONField(_("sent by email to"), default=list, blank=True)
    email_error = models.TextField(_("email error"), blank=True)
    robot_status = models.CharField(_("group robot"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    robot_error = models.TextField(_("group robot error"), blank=True)
    robot_answer = models.TextField(_("group robot's answer"), blank=True)

    class Meta:
        verbose_name = _("sent report")
        verbose_name_plural = _("sent reports")
        ordering = ["-period_start", "kind", "government"]
        constraints = [
            models.UniqueConstraint(fields=["government", "kind", "period_start"], name="one_report_per_period"),
        ]

    def __str__(self):
        return f"{self.government} · {self.get_kind_display()} · {self.period_start:%Y-%m-%d}"
