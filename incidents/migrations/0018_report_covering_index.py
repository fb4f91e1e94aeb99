# The discovery index with the times the compliance report reads, built beside the old one and swapped for it
# without blocking the incidents table on PostgreSQL (opinion_tracker.lib.migrations).

from django.db import migrations, models

from opinion_tracker.lib.migrations import AddIndexWithoutBlocking, RemoveIndexWithoutBlocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0017_rectification"),
    ]

    operations = [
        AddIndexWithoutBlocking(
            model_name="incident",
            index=models.Index(
                fields=["discovered_at"],
                include=("occurred_at", "first_public_response_at", "logged_at"),
                name="incident_by_discovery",
            ),
        ),
        RemoveIndexWithoutBlocking(model_name="incident", name="incident_discovered"),
    ]
