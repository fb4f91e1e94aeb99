"""A government's scoring rule for the rankings (考核), as data (docs/rules.md, "Rankings").

A department's score is its figures weighted into full marks, less a deduction for each breach by the
incident's severity and the obligation, for each 通报批评 and each 约谈整改, plus a credit for each breach excused
by a 容错免责 exemption. Departments scoring below the rule's threshold are named in the 通报. The national rule
comes with the migrations; a government may have its own, and the nearest government's rule wins.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from incidents.models import ObligationKind, Severity
from incidents.models.government_rules import GovernmentRules

RESPONSE_RATE = "response_rate"
WITHIN = {hours: f"within_{hours}h" for hours in (5, 24, 48)}
ON_TIME = "on_time:"
NOT_NEGATIVE = [MinValueValidator(Decimal(0))]
PUBLIC_RESPONSES = frozenset({ObligationKind.FIRST_STATEMENT, ObligationKind.PRESS_CONFERENCE, ObligationKind.RESPONSE})
# The national rule (also seeded by the migration 0016_scoring_rule, which keeps its own copy of these numbers).
DEFAULT_WEIGHTS = {
    RESPONSE_RATE: Decimal(20),
    f"{ON_TIME}{ObligationKind.INTERNAL_REPORT}": Decimal(15),
    f"{ON_TIME}{ObligationKind.FIRST_STATEMENT}": Decimal(15),
    f"{ON_TIME}{ObligationKind.PRESS_CONFERENCE}": Decimal(10),
    f"{ON_TIME}{ObligationKind.RESPONSE}": Decimal(15),
    f"{ON_TIME}{ObligationKind.FOLLOW_UP}": Decimal(5),
    f"{ON_TIME}{ObligationKind.VERIFICATION_REPORT}": Decimal(10),
    f"{ON_TIME}{ObligationKind.INSTRUCTION}": Decimal(10),
}
# Per breach: a base by severity, doubled for the public responses the regulations time most strictly.
DEFAULT_BREACH_BASE = {
    Severity.ESPECIALLY_MAJOR: Decimal(5),
    Severity.MAJOR: Decimal(4),
    Severity.RELATIVELY_MAJOR: Decimal(3),
    Severity.GENERAL: Decimal(2),
}
DEFAULT_DEDUCTIONS = {
    (severity, kind): base * (2 if kind in PUBLIC_RESPONSES else 1)
    for severity, base in DEFAULT_BREACH_BASE.items()
    for kind in ObligationKind.values
}
DEFAULT_FULL_MARKS = Decimal(100)
DEFAULT_CRITICISM_DEDUCTION = Decimal(5)
DEFAULT_INTERVIEW_DEDUCTION = Decimal(10)
DEFAULT_EXEMPTION_CREDIT = Decimal(2)
DEFAULT_NOTICE_THRESHOLD = Decimal(60)


def on_time(kind: str) -> str:
    """The figure code of an obligation kind's on-time rate."""
    return f"{ON_TIME}{kind}"


def figure_choices() -> list[tuple[str, str]]:
    """The figures a rule may weigh: the response rate, the shares answered within 5, 24 and 48 hours, and the
    on-time rate of each obligation kind."""
    return [
        (RESPONSE_RATE, _("Response rate")),
        *[(code, format_lazy(_("Share answered within {} h"), hours)) for hours, code in WITHIN.items()],
        *[(on_time(kind), format_lazy(_("On-time rate: {}"), label)) for kind, label in ObligationKind.choices],
    ]


def points_field(verbose_name, default, **options):
    return models.DecimalField(
        verbose_name, max_digits=7, decimal_places=2, default=default, validators=NOT_NEGATIVE, **options
    )


class ScoringRule(GovernmentRules):
    """The numbers of one government's rankings (``GovernmentRules``: empty ``government`` for the national one).

    Weights and breach deductions are rows of their own (``ScoringWeight``, ``BreachDeduction``): a figure with
    no weight counts for nothing, and a breach of a severity and obligation with no row deducts nothing.
    """

    full_marks = points_field(
        _("full marks"), DEFAULT_FULL_MARKS, help_text=_("What a department scores with every figure perfect.")
    )
    criticism_deduction = points_field(_("deduction per circulated criticism (通报批评)"), DEFAULT_CRITICISM_DEDUCTION)
    interview_deduction = points_field(_("deduction per admonishing interview (约谈整改)"), DEFAULT_INTERVIEW_DEDUCTION)
    exemption_credit = points_field(
        _("credit per exempted breach (容错免责)"),
        DEFAULT_EXEMPTION_CREDIT,
        help_text=_("Points given back for each late obligation excused by a documented exemption."),
    )
    notice_threshold = points_field(
        _("threshold for the circular (通报)"),
        DEFAULT_NOTICE_THRESHOLD,
        help_text=_("Departments scoring below it are named in the circular, with their breaches."),
    )

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        constraints = [
            # One row per government, and one national row (government empty).
            models.UniqueConstraint(Coalesce("government", Value(0)), name="one_scoring_rule_per_government"),
        ]

    def __str__(self):
        return str(self.scope)

    def clean(self):
        if self.full_marks is not None and self.full_marks <= 0:
            raise ValidationError({"full_marks": _("Full marks must be more than zero.")})
        if None not in (self.full_marks, self.notice_threshold) and self.notice_threshold > self.full_marks:
            raise ValidationError({"notice_threshold": _("The threshold cannot be above full marks.")})

    def scoring(self) -> "Scoring":
        """The rule's numbers, read once (its weights and deductions prefetched or read here)."""
        return Scoring(
            scope=self.scope,
            rule_id=self.pk,
            full_marks=self.full_marks,
            weights={row.figure: row.weight for row in self.weights.all()},
            deductions={(row.severity, row.kind): row.points for row in self.deductions.all()},
            criticism_deduction=self.criticism_deduction,
            interview_deduction=self.interview_deduction,
            exemption_credit=self.exemption_credit,
            notice_threshold=self.notice_threshold,
        )


class ScoringWeight(models.Model):
    """How much one figure weighs in a rule's score."""

    rule = models.ForeignKey(
        ScoringRule, verbose_name=_("scoring rule"), on_delete=models.CASCADE, related_name="weights"
    )
    figure = models.CharField(_("figure"), max_length=40, choices=figure_choices)
    weight = points_field(_("weight"), Decimal(0))

    class Meta:
        verbose_name = _("figure weight")
        verbose_name_plural = _("figure weights")
        ordering = ["rule", "pk"]
        constraints = [models.UniqueConstraint(fields=["rule", "figure"], name="one_weight_per_rule_figure")]

    def __str__(self):
        return f"{self.get_figure_display()}: {self.weight}"


class BreachDeduction(models.Model):
    """What one breach of an obligation kind, on an incident of a severity, costs."""

    rule = models.ForeignKey(
        ScoringRule, verbose_name=_("scoring rule"), on_delete=models.CASCADE, related_name="deductions"
    )
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    kind = models.CharField(_("obligation"), max_length=30, choices=ObligationKind.choices)
    points = points_field(_("points per breach"), Decimal(0))

    class Meta:
        verbose_name = _("breach deduction")
        verbose_name_plural = _("breach deductions")
        ordering = ["rule", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "severity", "kind"], name="one_deduction_per_rule_severity_kind")
        ]

    def __str__(self):
        return f"{self.get_severity_display()} · {self.get_kind_display()}: {self.points}"


@dataclass(frozen=True)
class Scoring:
    """A rule's numbers as the ranking uses them; ``defaults()`` when no rule row exists at all."""

    scope: str
    rule_id: int | None
    full_marks: Decimal
    weights: dict[str, Decimal]
    deductions: dict[tuple[str, str], Decimal]
    criticism_deduction: Decimal
    interview_deduction: Decimal
    exemption_credit: Decimal
    notice_threshold: Decimal

    @classmethod
    def defaults(cls) -> "Scoring":
        """The documented national numbers, for a database whose national row was removed."""
        return cls(
            scope=str(_("National")),
            rule_id=None,
            full_marks=DEFAULT_FULL_MARKS,
            weights=dict(DEFAULT_WEIGHTS),
            deductions=dict(DEFAULT_DEDUCTIONS),
            criticism_deduction=DEFAULT_CRITICISM_DEDUCTION,
            interview_deduction=DEFAULT_INTERVIEW_DEDUCTION,
            exemption_credit=DEFAULT_EXEMPTION_CREDIT,
            notice_threshold=DEFAULT_NOTICE_THRESHOLD,
        )
