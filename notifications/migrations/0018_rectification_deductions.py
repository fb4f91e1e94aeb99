"""A missed rectification report (整改报告) deducts like any other breach: 5, 4, 3 or 2 points by severity in the
national rule (docs/rules.md, "Rankings"); the numbers are kept here as they were when the rule got them."""

from django.db import migrations, models

BREACH_BASE = {"especially_major": 5, "major": 4, "relatively_major": 3, "general": 2}


def seed(apps, schema_editor):
    ScoringRule = apps.get_model("notifications", "ScoringRule")
    BreachDeduction = apps.get_model("notifications", "BreachDeduction")
    national = ScoringRule.objects.filter(government=None).first()
    if national is None:
        return
    for severity, points in BREACH_BASE.items():
        BreachDeduction.objects.get_or_create(
            rule=national, severity=severity, kind="rectification", defaults={"points": points}
        )


def unseed(apps, schema_editor):
    BreachDeduction = apps.get_model("notifications", "BreachDeduction")
    BreachDeduction.objects.filter(rule__government=None, kind="rectification").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0017_scheduled_reports"),
    ]

    operations = [
        migrations.AlterField(
            model_name="breachdeduction",
            name="kind",
            field=models.CharField(
                choices=[
                    ("internal_report", "Internal report"),
                    ("first_statement", "First authoritative statement"),
                    ("press_conference", "Press conference"),
                    ("response", "Response"),
                    ("follow_up", "Follow-up"),
                    ("verification_report", "Verification report"),
                    ("instruction", "Leader's instruction (批示)"),
                    ("rectification", "Rectification report (整改报告)"),
                ],
                max_length=30,
                verbose_name="obligation",
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
