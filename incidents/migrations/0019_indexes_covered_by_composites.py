# Foreign keys of tables an enforcement pass writes by the thousand, whose lookups a unique constraint's index
# serves (a read grant's person: (person, incident); an obligation's instruction: (instruction, department)): the
# keys' own indexes go, without blocking the tables on PostgreSQL (opinion_tracker.lib.migrations).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from opinion_tracker.lib.migrations import DropForeignKeyIndex


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0018_report_covering_index"),
    ]

    operations = [
        DropForeignKeyIndex(
            model_name="incidentreader",
            name="person",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="person",
            ),
        ),
        DropForeignKeyIndex(
            model_name="obligation",
            name="instruction",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="obligations",
                to="incidents.instruction",
                verbose_name="instruction",
            ),
        ),
    ]
