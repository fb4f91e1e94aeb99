"""The national defaults of docs/rules.md: the roles, and the obligations each severity brings.

Sources: 国办发〔2016〕61号 (press conference within 24 h for 特别重大/重大, response within 48 h for the
rest, 持续发布), 国办发〔2016〕80号 (authoritative information within 5 h), local rules (internal report
within 2 h, verification report within 2 working days).
"""

from datetime import timedelta

from django.db import migrations

ROLES = ["duty_officer", "leader", "auditor", "admin", "integration"]

GRAVE = ["especially_major", "major"]
OTHER = ["relatively_major", "general"]
ALL = GRAVE + OTHER

# (kind, clock, offset or None, working days or None, severities)
NATIONAL_POLICY = [
    ("internal_report", "discovery", timedelta(hours=2), None, ALL),
    ("first_statement", "event", timedelta(hours=5), None, GRAVE),
    ("press_conference", "event", timedelta(hours=24), None, GRAVE),
    ("response", "event", timedelta(hours=48), None, OTHER),
    ("follow_up", "latest_public_response", timedelta(hours=24), None, GRAVE),
    ("verification_report", "discovery", None, 2, ALL),
]


def seed(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    ObligationPolicy = apps.get_model("incidents", "ObligationPolicy")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    for kind, clock, offset, working_days, severities in NATIONAL_POLICY:
        for severity in severities:
            ObligationPolicy.objects.get_or_create(
                government=None,
                severity=severity,
                kind=kind,
                defaults={"clock": clock, "offset": offset, "offset_working_days": working_days},
            )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
