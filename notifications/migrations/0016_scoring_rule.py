"""Scoring rules for the rankings (考核), and the national rule of docs/rules.md ("Rankings"): 100 full marks from
the response rate (20) and the on-time rate of each obligation (internal report 15, first statement 15, press
conference 10, response 15, follow-up 5, verification report 10, instruction 10); per breach 5, 4, 3 or 2 points
by severity (特别重大 to 一般), doubled for the public responses (first statement, press conference, response);
5 per 通报批评, 10 per 约谈整改, 2 back per breach excused by a 容错免责 exemption; named in the 通报 below 60.

The numbers are kept here as they were when the rule was seeded (``notifications.models.scoring`` holds the same
ones for a database whose national row was removed)."""

from decimal import Decimal

import django.core.validators
import django.db.models.deletion
import django.db.models.functions.comparison
from django.db import migrations, models

import notifications.models.scoring

WEIGHTS = {
    "response_rate": 20,
    "on_time:internal_report": 15,
    "on_time:first_statement": 15,
    "on_time:press_conference": 10,
    "on_time:response": 15,
    "on_time:follow_up": 5,
    "on_time:verification_report": 10,
    "on_time:instruction": 10,
}
BREACH_BASE = {"especially_major": 5, "major": 4, "relatively_major": 3, "general": 2}
KINDS = [
    "internal_report",
    "first_statement",
    "press_conference",
    "response",
    "follow_up",
    "verification_report",
    "instruction",
]
PUBLIC_RESPONSES = {"first_statement", "press_conference", "response"}


def seed(apps, schema_editor):
    ScoringRule = apps.get_model("notifications", "ScoringRule")
    ScoringWeight = apps.get_model("notifications", "ScoringWeight")
    BreachDeduction = apps.get_model("notifications", "BreachDeduction")
    rule = ScoringRule.objects.create(
        government=None,
        full_marks=100,
        criticism_deduction=5,
        interview_deduction=10,
        exemption_credit=2,
        notice_threshold=60,
    )
    ScoringWeight.objects.bulk_create(
        ScoringWeight(rule=rule, figure=figure, weight=weight) for figure, weight in WEIGHTS.items()
    )
    BreachDeduction.objects.bulk_create(
        BreachDeduction(rule=rule, severity=severity, kind=kind, points=base * (2 if kind in PUBLIC_RESPONSES else 1))
        for severity, base in BREACH_BASE.items()
        for kind in KINDS
    )


def unseed(apps, schema_editor):
    apps.get_model("notifications", "ScoringRule").objects.filter(government=None).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0015_work_messages"),
        ("notifications", "0015_work_app_constraints"),
    ]

    operations = [
        migrations.CreateModel(
            name="ScoringRule",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "full_marks",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("100"),
                        help_text="What a department scores with every figure perfect.",
                        max_digits=7,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="full marks",
                    ),
                ),
                (
                    "criticism_deduction",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("5"),
                        max_digits=7,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="deduction per circulated criticism (通报批评)",
                    ),
                ),
                (
                    "interview_deduction",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("10"),
                        max_digits=7,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="deduction per admonishing interview (约谈整改)",
                    ),
                ),
                (
                    "exemption_credit",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("2"),
                        help_text="Points given back for each late obligation excused by a documented exemption.",
                        max_digits=7,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="credit per exempted breach (容错免责)",
                    ),
                ),
                (
                    "notice_threshold",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("60"),
                        help_text="Departments scoring below it are named in the circular, with their breaches.",
                        max_digits=7,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="threshold for the circular (通报)",
                    ),
                ),
                (
                    "government",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty for the national default.",
                        limit_choices_to={"is_government": True},
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="incidents.department",
                        verbose_name="government",
                    ),
                ),
            ],
            options={
                "verbose_name": "scoring rule",
                "verbose_name_plural": "scoring rules",
            },
        ),
        migrations.CreateModel(
            name="BreachDeduction",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "severity",
                    models.CharField(
                        choices=[
                            ("especially_major", "Especially major (I)"),
                            ("major", "Major (II)"),
                            ("relatively_major", "Relatively major (III)"),
                            ("general", "General (IV)"),
                        ],
                        max_length=20,
                        verbose_name="severity",
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("internal_report", "Internal report"),
                            ("first_statement", "First authoritative statement"),
                            ("press_conference", "Press conference"),
                            ("response", "Response"),
                            ("follow_up", "Follow-up"),
                            ("verification_report", "Verification report"),
                            ("instruction", "Leader's instruction (批示)"),
                        ],
                        max_length=30,
                        verbose_name="obligation",
                    ),
                ),
                (
                    "points",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=7,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="points per breach",
                    ),
                ),
                (
                    "rule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deductions",
                        to="notifications.scoringrule",
                        verbose_name="scoring rule",
                    ),
                ),
            ],
            options={
                "verbose_name": "breach deduction",
                "verbose_name_plural": "breach deductions",
                "ordering": ["rule", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ScoringWeight",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "figure",
                    models.CharField(
                        choices=notifications.models.scoring.figure_choices, max_length=40, verbose_name="figure"
                    ),
                ),
                (
                    "weight",
                    models.DecimalField(
                        decimal_places=2,
                        default=Decimal("0"),
                        max_digits=7,
                        validators=[django.core.validators.MinValueValidator(Decimal("0"))],
                        verbose_name="weight",
                    ),
                ),
                (
                    "rule",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="weights",
                        to="notifications.scoringrule",
                        verbose_name="scoring rule",
                    ),
                ),
            ],
            options={
                "verbose_name": "figure weight",
                "verbose_name_plural": "figure weights",
                "ordering": ["rule", "pk"],
            },
        ),
        migrations.AddConstraint(
            model_name="scoringrule",
            constraint=models.UniqueConstraint(
                django.db.models.functions.comparison.Coalesce("government", models.Value(0)),
                name="one_scoring_rule_per_government",
            ),
        ),
        migrations.AddConstraint(
            model_name="breachdeduction",
            constraint=models.UniqueConstraint(
                fields=("rule", "severity", "kind"), name="one_deduction_per_rule_severity_kind"
            ),
        ),
        migrations.AddConstraint(
            model_name="scoringweight",
            constraint=models.UniqueConstraint(fields=("rule", "figure"), name="one_weight_per_rule_figure"),
        ),
        migrations.RunPython(seed, unseed),
    ]
