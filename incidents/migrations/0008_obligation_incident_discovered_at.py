from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    """Every obligation takes its incident's discovery time."""
    Incident = apps.get_model("incidents", "Incident")
    Obligation = apps.get_model("incidents", "Obligation")
    discovered = Incident.objects.filter(pk=OuterRef("incident_id")).values("discovered_at")[:1]
    Obligation.objects.update(incident_discovered_at=Subquery(discovered))


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0007_first_public_response"),
    ]

    operations = [
        migrations.AddField(
            model_name="obligation",
            name="incident_discovered_at",
            field=models.DateTimeField(editable=False, null=True, verbose_name="incident discovered at"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="obligation",
            name="incident_discovered_at",
            field=models.DateTimeField(editable=False, verbose_name="incident discovered at"),
        ),
        migrations.AddIndex(
            model_name="obligation",
            index=models.Index(
                fields=["incident_discovered_at", "kind", "state", "due_at"],
                name="obligation_by_discovery",
            ),
        ),
    ]
