"""The rules are data: a government may override a deadline, and no change rewrites a computed one."""

from datetime import timedelta

from incidents.models import ObligationPolicy

from ..conftest import beijing, obligations_by_kind
from ..factories import DepartmentFactory

DISCOVERED = beijing(2026, 3, 10, 10, 0)
H = timedelta(hours=1)


def override(government, severity, kind, **offset):
    national = ObligationPolicy.objects.get(government=None, severity=severity, kind=kind)
    return ObligationPolicy.objects.create(
        government=government, severity=severity, kind=kind, clock=national.clock, **offset
    )


def test_a_government_override_applies_to_its_departments_only(log, org):
    override(org.government, "major", "first_statement", offset=6 * H)
    other_city = DepartmentFactory(is_government=True)

    here = log(discovered_at=DISCOVERED)
    elsewhere = log(discovered_at=DISCOVERED, department=DepartmentFactory(parent=other_city))

    assert obligations_by_kind(here)["first_statement"].due_at == DISCOVERED + 6 * H
    assert obligations_by_kind(elsewhere)["first_statement"].due_at == DISCOVERED + 5 * H


def test_the_nearest_government_wins(log, org):
    province = DepartmentFactory(is_government=True)
    org.government.parent = province
    org.government.save()
    override(province, "major", "first_statement", offset=8 * H)
    override(province, "major", "press_conference", offset=20 * H)
    override(org.government, "major", "first_statement", offset=4 * H)

    obligations = obligations_by_kind(log(discovered_at=DISCOVERED))

    assert obligations["first_statement"].due_at == DISCOVERED + 4 * H
    assert obligations["press_conference"].due_at == DISCOVERED + 20 * H


def test_changing_a_policy_never_rewrites_deadlines_already_computed(log):
    incident = log(discovered_at=DISCOVERED)

    ObligationPolicy.objects.filter(government=None, kind="first_statement").update(offset=10 * H)

    assert obligations_by_kind(incident)["first_statement"].due_at == DISCOVERED + 5 * H
    assert obligations_by_kind(log(discovered_at=DISCOVERED))["first_statement"].due_at == DISCOVERED + 10 * H


def test_offsets_of_any_granularity(log, org):
    override(org.government, "general", "response", offset=timedelta(hours=47, minutes=30, seconds=15))

    incident = log(severity="general", discovered_at=DISCOVERED)

    assert obligations_by_kind(incident)["response"].due_at == DISCOVERED + timedelta(hours=47, minutes=30, seconds=15)
