"""The reviewer role (docs/rules.md, "Statements"): a Django group, as every role is."""

from django.db import migrations


def add_reviewer_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="reviewer")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0013_statements")]

    operations = [migrations.RunPython(add_reviewer_group, migrations.RunPython.noop)]
