"""Whether every gate of a draft's current version is approved, kept on the draft for 待办's sign-off list."""

from django.db import migrations, models


def mark_passed(apps, schema_editor):
    Draft = apps.get_model("statements", "Draft")
    for draft in Draft.objects.all():
        current = draft.versions.order_by("-number").first()
        approved = set(current.decisions.filter(decision="approved").values_list("gate", flat=True))
        if set(draft.gates) <= approved:
            Draft.objects.filter(pk=draft.pk).update(gates_passed=True)


class Migration(migrations.Migration):
    dependencies = [("statements", "0002_national_defaults")]

    operations = [
        migrations.AddField(
            model_name="draft",
            name="gates_passed",
            field=models.BooleanField(default=False, verbose_name="every gate of the current version approved"),
        ),
        migrations.RunPython(mark_passed, migrations.RunPython.noop),
    ]
