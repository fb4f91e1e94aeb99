"""Every notification belongs to an escalation entry (a separate migration: PostgreSQL refuses to alter a
table in the transaction that just updated it with deferred foreign-key checks pending)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notifications", "0009_escalation_entries")]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="entry",
            field=models.ForeignKey(
                help_text="The entry this copy belongs to: its own step's, or the higher step it was merged into.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notifications",
                to="notifications.escalationentry",
                verbose_name="escalation entry",
            ),
        ),
    ]
