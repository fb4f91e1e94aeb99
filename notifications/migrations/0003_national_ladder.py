"""The default escalation ladder of docs/rules.md, one per severity (especially major and major reach
the government's principal leader two hours after the deadline, the others four)."""

from datetime import timedelta

from django.db import migrations

HOUR = timedelta(hours=1)
ALL_WAYS = ["in_app", "robot", "email", "sms"]


def ladder(government_leader_after):
    return [
        {"code": "warning", "window_fraction": "0.50", "audiences": ["contacts"], "channels": ["in_app", "robot"]},
        {
            "code": "due_soon",
            "offset": -HOUR,
            "short_window": 5 * HOUR,
            "short_window_offset": -HOUR / 2,
            "audiences": ["contacts", "responsible_leader"],
            "channels": ["in_app", "robot", "email"],
        },
        {"code": "overdue_l1", "offset": timedelta(0), "audiences": ["principal_leader"], "channels": ALL_WAYS},
        {
            "code": "overdue_l2",
            "offset": HOUR,
            "audiences": ["office_leaders", "publicity_leaders"],
            "channels": ALL_WAYS,
        },
        {
            "code": "overdue_l3",
            "offset": government_leader_after,
            "audiences": ["government_leader"],
            "channels": ["in_app", "email", "sms"],
        },
    ]


LADDERS = {
    "especially_major": ladder(2 * HOUR),
    "major": ladder(2 * HOUR),
    "relatively_major": ladder(4 * HOUR),
    "general": ladder(4 * HOUR),
}


def seed(apps, schema_editor):
    EscalationPolicy = apps.get_model("notifications", "EscalationPolicy")
    EscalationStep = apps.get_model("notifications", "EscalationStep")
    for severity, steps in LADDERS.items():
        policy = EscalationPolicy.objects.create(government=None, severity=severity, repeat_every=2 * HOUR)
        EscalationStep.objects.bulk_create(EscalationStep(policy=policy, **step) for step in steps)


def unseed(apps, schema_editor):
    apps.get_model("notifications", "EscalationPolicy").objects.filter(government=None).delete()


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_escalation")]

    operations = [migrations.RunPython(seed, unseed)]
