"""Drafts of public statements, their versions (never overwritten), the gate decisions on each version, and
the publications that record what went out (docs/rules.md, "Statements")."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incidents.models import Action, Incident, ReviewGate

from .rules import HoldingTemplate


class Draft(models.Model):
    """A statement being drafted for an incident, for the channels it will go out on.

    The gates and whether authors may review them are copied from the review policy when the draft is
    made, so a policy edited during a review never changes the gates a draft already waits on."""

    class Kind(models.TextChoices):
        STATEMENT = "statement", _("Statement")
        PRESS_RELEASE = "press_release", _("Press release")
        HOLDING = "holding", _("Holding statement")

    class State(models.TextChoices):
        DRAFTING = "drafting", _("Drafting")
        IN_REVIEW = "in_review", _("In review")
        SIGNED_OFF = "signed_off", _("Signed off")
        PUBLISHED = "published", _("Published")

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="drafts")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channels = models.JSONField(_("channels"), default=list, help_text=_("Where it will go out, e.g. weibo, website."))
    template = models.ForeignKey(
        HoldingTemplate,
        verbose_name=_("holding-statement template"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="drafts",
    )
    gates = models.JSONField(_("review gates"), default=list)
    authors_may_review = models.BooleanField(_("authors may approve their own draft's gates"), default=False)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.IN_REVIEW)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("drafted at"))
    # Kept from the first sign-off, so the compliance report times review from the draft's own row.
    first_signed_off_at = models.DateTimeField(_("first signed off at"), null=True, blank=True)
    skipped_gates = models.BooleanField(_("signed off without its gates (holding statement)"), default=False)
    # Kept by the services under the draft's lock, so 待办 finds the drafts ready for a sign-off in the database.
    gates_passed = models.BooleanField(_("every gate of the current version approved"), default=False)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.incident}"

    @property
    def may_skip_gates(self) -> bool:
        """A holding statement from a template may go out on one leader's sign-off, in an emergency."""
        return self.kind == self.Kind.HOLDING and self.template_id is not None


class DraftVersion(models.Model):
    """One version of a draft's text: every edit is a new one. ``flags`` are the phrase checks' findings on
    this very text, kept with it; the sign-off is the version's, so a new version is never signed off."""

    draft = models.ForeignKey(Draft, verbose_name=_("draft"), on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("text"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    flags = models.JSONField(_("flagged phrases"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("written at"))
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    flags_acknowledged = models.BooleanField(_("flags acknowledged at sign-off"), default=False)
    gates_skipped = models.JSONField(
        _("gates skipped at sign-off"),
        default=list,
        blank=True,
        help_text=_("A holding statement signed off in an emergency before its gates were all approved."),
    )

    class Meta:
        verbose_name = _("draft version")
        verbose_name_plural = _("draft versions")
        ordering = ["draft", "number"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "number"], name="one_version_per_number"),
            models.CheckConstraint(
                condition=models.Q(signed_off_by__isnull=True, signed_off_at__isnull=True)
                | models.Q(signed_off_by__isnull=False, signed_off_at__isnull=False),
                name="signed_off_by_and_at_together",
            ),
        ]

    def __str__(self):
        return f"{self.draft} · v{self.number}"


class GateDecision(models.Model):
    """A gate approved or returned on one version. A version's gate is decided once: a returned gate
    waits for a new version, which starts every gate again."""

    class Decision(models.TextChoices):
        APPROVED = "approved", pgettext_lazy("gate", "Approved")
        RETURNED = "returned", pgettext_lazy("gate", "Returned")

    version = models.ForeignKey(
        DraftVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="decisions"
    )
    gate = models.CharField(_("gate"), max_length=20, choices=ReviewGate.choices)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("gate decision")
        verbose_name_plural = _("gate decisions")
        ordering = ["version", "decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["version", "gate"], name="one_decision_per_gate_and_version"),
            models.CheckConstraint(
                condition=~models.Q(decision="returned") | ~models.Q(comment=""),
                name="returned_gate_has_comment",
            ),
        ]

    def __str__(self):
        return f"{self.version} · {self.get_gate_display()} · {self.get_decision_display()}"


class Publication(models.Model):
    """A signed-off version recorded as a public action: the action keeps the version's text and its hash."""

    action = models.OneToOneField(
        Action, verbose_name=_("action"), on_delete=models.PROTECT, related_name="publication"
    )
    draft = models.ForeignKey(Draft, verbose_name=_("draft"), on_delete=models.PROTECT, related_name="publications")
    version = models.ForeignKey(
        DraftVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="publications"
    )

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self):
        return f"{self.version} → {self.action}"
