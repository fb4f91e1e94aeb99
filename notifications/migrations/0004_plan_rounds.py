"""Plans remember the severity their ladder is for and the deadline their steps were timed from, so a
regrade copies the new severity's ladder and a moved deadline starts a new round."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_from_obligations(apps, schema_editor):
    EscalationPlan = apps.get_model("notifications", "EscalationPlan")
    Obligation = apps.get_model("incidents", "Obligation")
    obligations = Obligation.objects.filter(pk=OuterRef("obligation_id"))
    EscalationPlan.objects.update(
        severity=Subquery(obligations.values("incident__severity")[:1]),
        deadline=Subquery(obligations.values("due_at")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0005_obligation_next_step"), ("notifications", "0003_national_ladder")]

    operations = [
        migrations.AddField(
            model_name="escalationplan",
            name="severity",
            field=models.CharField(
                choices=[
                    ("especially_major", "Especially major (I)"),
                    ("major", "Major (II)"),
                    ("relatively_major", "Relatively major (III)"),
                    ("general", "General (IV)"),
                ],
                default="",
                max_length=20,
                verbose_name="severity",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="escalationplan",
            name="deadline",
            field=models.DateTimeField(null=True, verbose_name="deadline the steps are timed from"),
        ),
        migrations.AddField(
            model_name="escalationplan",
            name="round",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="round"),
        ),
        migrations.RunPython(fill_from_obligations, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="escalationplan",
            name="deadline",
            field=models.DateTimeField(verbose_name="deadline the steps are timed from"),
        ),
    ]
