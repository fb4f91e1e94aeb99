# Entries and notifications are looked up by obligation through their unique constraints' indexes (obligation,
# step, recipient[, channel]) and by recipient through the inbox indexes (recipient, created_at), delivery attempts
# by notification through theirs (notification, number): the keys' own indexes go, without blocking the tables on
# PostgreSQL (opinion_tracker.lib.migrations). Passes and delivery write these tables by the thousand.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from opinion_tracker.lib.migrations import DropForeignKeyIndex


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("incidents", "0019_indexes_covered_by_composites"),
        ("notifications", "0018_rectification_deductions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        DropForeignKeyIndex(
            model_name="escalationentry",
            name="obligation",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="escalation_entries",
                to="incidents.obligation",
                verbose_name="obligation",
            ),
        ),
        DropForeignKeyIndex(
            model_name="escalationentry",
            name="recipient",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="escalation_entries",
                to=settings.AUTH_USER_MODEL,
                verbose_name="recipient",
            ),
        ),
        DropForeignKeyIndex(
            model_name="notification",
            name="obligation",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notifications",
                to="incidents.obligation",
                verbose_name="obligation",
            ),
        ),
        DropForeignKeyIndex(
            model_name="notification",
            name="recipient",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notifications",
                to=settings.AUTH_USER_MODEL,
                verbose_name="recipient",
            ),
        ),
        DropForeignKeyIndex(
            model_name="deliveryattempt",
            name="notification",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="delivery_attempts",
                to="notifications.notification",
                verbose_name="notification",
            ),
        ),
    ]
