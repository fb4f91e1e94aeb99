"""The scoring rules of the rankings (考核) in the admin: the national rule and each government's own, with their
figure weights and breach deductions as rows (docs/rules.md, "Rankings")."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from opinion_tracker.lib.admin import TrackerAdmin

from .models import BreachDeduction, ScoringRule, ScoringWeight
from .ranking import scoring_of


class ScoringWeightInline(admin.TabularInline):
    model = ScoringWeight
    extra = 0
    verbose_name_plural = _("figure weights (the figures a department has share full marks by these weights)")


class BreachDeductionInline(admin.TabularInline):
    model = BreachDeduction
    extra = 0
    verbose_name_plural = _("breach deductions (a severity and obligation with no row deduct nothing)")


@admin.register(ScoringRule)
class ScoringRuleAdmin(TrackerAdmin):
    """A rankings' rule is read when a ranking is asked for: a change scores every period again, past ones too."""

    list_display = ["__str__", "full_marks", "notice_threshold", "criticism_deduction", "interview_deduction"]
    list_filter = [("government", admin.EmptyFieldListFilter)]
    autocomplete_fields = ["government"]
    inlines = [ScoringWeightInline, BreachDeductionInline]

    def save_related(self, request, form, formsets, change):
        """A government's new rule given no weights and no deductions starts with those of the rule in force
        above it, so changing a threshold never silently drops the weights."""
        super().save_related(request, form, formsets, change)
        rule = form.instance
        if change or rule.government_id is None or rule.weights.exists() or rule.deductions.exists():
            return
        above = [government.pk for government in rule.government.governments()[1:]]
        copy_rows(rule, scoring_of(above))


def copy_rows(rule: ScoringRule, scoring) -> None:
    """Give ``rule`` the weights and deductions of ``scoring`` (a ``Scoring``)."""
    ScoringWeight.objects.bulk_create(
        ScoringWeight(rule=rule, figure=figure, weight=weight) for figure, weight in scoring.weights.items()
    )
    BreachDeduction.objects.bulk_create(
        BreachDeduction(rule=rule, severity=severity, kind=kind, points=points)
        for (severity, kind), points in scoring.deductions.items()
    )
