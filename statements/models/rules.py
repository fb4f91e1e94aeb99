"""What each government decides about statements, as data: its review gates, its holding templates and the
phrases its reviewers want flagged. The national rows (``government`` empty) are the defaults."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from incidents.models import ReviewGate
from incidents.models.government_rules import GovernmentRules


def default_gates():
    return list(ReviewGate.values)


class ReviewPolicy(GovernmentRules):
    """The gates a statement passes, in order, and whether an author may approve a gate of their own draft."""

    gates = models.JSONField(
        _("review gates"), default=default_gates, help_text=_("In order: policy, wording, secrecy, legal.")
    )
    authors_may_review = models.BooleanField(
        _("authors may approve their own draft's gates"),
        default=False,
        help_text=_("谁起草谁不审: off by default, so every gate is a second pair of eyes."),
    )

    class Meta:
        verbose_name = _("review policy")
        verbose_name_plural = _("review policies")
        constraints = [
            # One row per government, and one national row (government empty).
            models.UniqueConstraint(Coalesce("government", Value(0)), name="one_review_policy_per_government"),
        ]

    def __str__(self):
        return str(self.scope)

    def clean(self):
        gates = self.gates
        valid = isinstance(gates, list) and gates and all(gate in ReviewGate.values for gate in gates)
        if not valid or len(set(gates)) != len(gates):
            raise ValidationError(
                {"gates": _("List each gate once, at least one, from: policy, wording, secrecy, legal.")}
            )


class HoldingTemplate(GovernmentRules):
    """A holding statement's text (快报事实、慎报原因、重在态度、再报进展) that prefills a draft.

    ``{title}``, ``{department}``, ``{discovered_at}`` and ``{now}`` are filled in from the incident."""

    name = models.CharField(_("name"), max_length=100)
    text = models.TextField(_("text"))
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("holding-statement template")
        verbose_name_plural = _("holding-statement templates")
        ordering = ["government_id", "name", "pk"]

    def __str__(self):
        return f"{self.name} ({self.scope})"


class FlaggedPhrase(GovernmentRules):
    """A phrase reviewers are warned about, and why. A flag warns; it never blocks."""

    phrase = models.CharField(_("phrase"), max_length=100)
    reason = models.CharField(_("why it is flagged"), max_length=300)
    enabled = models.BooleanField(_("enabled"), default=True)

    class Meta:
        verbose_name = _("flagged phrase")
        verbose_name_plural = _("flagged phrases")
        ordering = ["government_id", "phrase", "pk"]

    def __str__(self):
        return self.phrase

    def clean(self):
        if not (self.phrase or "").strip():
            raise ValidationError({"phrase": _("Enter the phrase to flag.")})
