"""What the enforcement and delivery benchmarks build their data from: one department whose principal leader is
reached on the channels a benchmark names, and open obligations by the thousand, written in a few statements.
Imported after ``_environment.use_database`` has set Django up."""

from datetime import timedelta

from django.db import connection

from incidents.models import Department, Person
from notifications.models import EscalationPolicy, EscalationStep


def organisation(channels):
    """A government and a department whose principal leader is reached on ``channels`` at the deadline."""
    government = Department.objects.create(name="市政府", code="gov", is_government=True)
    department = Department.objects.create(name="市交通运输局", code="transport", parent=government)
    leader = Person.objects.create(username="leader", email="leader@example.gov.cn", department=department)
    department.principal_leader = leader
    department.save()
    policy = EscalationPolicy.objects.create(government=government, severity="general")
    EscalationStep.objects.create(
        policy=policy, code="overdue_l1", offset=timedelta(0), audiences=["principal_leader"], channels=channels
    )
    return department


def bulk_obligations(department, count, due_at, next_step_at):
    """``count`` open obligations (four per incident) in a few INSERT … SELECT statements."""
    incidents = (count + 3) // 4
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO incidents_incident (title, summary, severity, source_platform, source_url, discovered_at,
                   logged_at, department_id, state, close_reason, external_id)
               SELECT 'incident ' || n, '', 'general', '', '', %s, %s, %s, 'open', '', ''
               FROM generate_series(1, %s) AS n""",
            [due_at - timedelta(hours=2), due_at - timedelta(hours=2), department.pk, incidents],
        )
        cursor.execute(
            """INSERT INTO incidents_obligation (incident_id, kind, clock, clock_started_at, "offset", due_at,
                   provisional, state, waiver_kind, waived_reason, next_step_at, created_at, incident_discovered_at)
               SELECT i.id, k.kind, 'discovery', %s, interval '2 hours', %s, false, 'pending', '', '', %s, %s,
                   i.discovered_at
               FROM incidents_incident i
               CROSS JOIN (VALUES ('internal_report'), ('response'), ('first_statement'), ('verification_report'))
                   AS k(kind)
               ORDER BY i.id LIMIT %s""",
            [due_at - timedelta(hours=2), due_at, next_step_at, due_at - timedelta(hours=2), count],
        )
        cursor.execute("ANALYZE")
