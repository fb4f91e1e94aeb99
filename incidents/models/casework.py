"""Casework (docs/rules.md, "Casework"): requests and their decisions, assessments, leaders' instructions.

Everything here changes an incident only through the services of ``incidents.casework``, each in one
transaction with its timeline event; these rows are the record of who asked, who decided and why.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .incident import Incident, Obligation, Severity
from .organisation import Department


class CaseRequest(models.Model):
    """A change someone asked for that someone else decides: a downgrade, an extension, a waiver, a return.

    Until it is approved nothing changes: the higher grade's obligations run, the old deadline stands. What
    the kind asks for is kept on the row (``severity``, ``due_at``; ``department``, the new lead a return was
    decided with), so the decision applies exactly what was asked.
    """

    class Kind(models.TextChoices):
        DOWNGRADE = "downgrade", _("Downgrade")
        EXTENSION = "extension", _("Extension")
        WAIVER = "waiver", _("Waiver")
        RETURN = "return", _("Return (not our remit)")

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("request", "Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="requests"
    )
    obligation = models.ForeignKey(
        Obligation,
        verbose_name=_("obligation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.TextField(_("reason"))
    severity = models.CharField(_("severity asked for"), max_length=20, choices=Severity.choices, blank=True)
    due_at = models.DateTimeField(_("deadline asked for"), null=True, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("new lead department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One question at a time: a second request of the same kind waits for the first one's decision.
            models.UniqueConstraint(
                fields=["incident", "kind"],
                condition=Q(state="pending", obligation=None),
                name="one_pending_incident_request_per_kind",
            ),
            models.UniqueConstraint(
                fields=["obligation", "kind"],
                condition=Q(state="pending", obligation__isnull=False),
                name="one_pending_obligation_request_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.incident} · {self.get_kind_display()} · {self.get_state_display()}"


class Assessment(models.Model):
    """A consultation (研判/会商) on an incident: who took part, what it concluded and the line agreed.

    The severity and co-handling departments it decided are applied through the usual rules, so a lower
    severity is still a downgrade request (``request``) unless the person recording it may decide one.
    """

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="assessments"
    )
    held_at = models.DateTimeField(_("held at"))
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("participants"), blank=True, related_name="+"
    )
    participants_text = models.TextField(_("other participants"), blank=True)
    conclusion = models.TextField(_("conclusion"))
    response_line = models.TextField(_("response line (口径)"), blank=True)
    severity = models.CharField(_("severity decided"), max_length=20, choices=Severity.choices, blank=True)
    co_departments = models.ManyToManyField(
        Department, verbose_name=_("co-handling departments decided"), blank=True, related_name="+"
    )
    request = models.ForeignKey(
        CaseRequest,
        verbose_name=_("downgrade request"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["held_at", "id"]

    def __str__(self):
        return f"{self.incident} · {self.held_at:%Y-%m-%d %H:%M}"


class Instruction(models.Model):
    """A leader's instruction (批示) on an incident: each addressed department owes a reply by ``due_at``
    (an obligation of kind ``instruction``), escalating at its last level to the leader who gave it."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="instructions"
    )
    text = models.TextField(_("instruction"))
    departments = models.ManyToManyField(Department, verbose_name=_("addressed to"), related_name="+")
    due_at = models.DateTimeField(_("reply due at"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("given by"), on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(_("given at"))

    class Meta:
        verbose_name = _("instruction")
        verbose_name_plural = _("instructions")
        ordering = ["given_at", "id"]

    def __str__(self):
        return f"{self.incident} · {self.text[:30]}"
