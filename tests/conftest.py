from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from incidents.models import Department, Person, Role
from incidents.services.incidents import log_incident

from .factories import DepartmentFactory, PersonFactory

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(*args) -> datetime:
    """A Beijing wall-clock time, as people enter and read them."""
    return datetime(*args, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Tests render admin pages without a collectstatic manifest."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@dataclass
class Organisation:
    government: Department
    office: Department
    publicity: Department
    department: Department
    duty_officer: Person
    leader: Person


@pytest.fixture
def org(db) -> Organisation:
    """A city government with its office and publicity department, and one department under it."""
    government = DepartmentFactory(name="江城市人民政府", is_government=True)
    office = DepartmentFactory(name="市政府办公室", parent=government)
    publicity = DepartmentFactory(name="市委宣传部", parent=government)
    government.supervising_office = office
    government.publicity_department = publicity
    government.save()
    department = DepartmentFactory(name="市交通运输局", parent=government)
    duty_officer = PersonFactory(department=department, roles=[Role.DUTY_OFFICER])
    leader = PersonFactory(department=department, roles=[Role.LEADER])
    return Organisation(government, office, publicity, department, duty_officer, leader)


@pytest.fixture
def log(org):
    """Log an incident in the fixture department; keyword arguments override the defaults."""

    def _log(**overrides):
        fields = {
            "title": "网传路面塌陷",
            "severity": "major",
            "department": org.department,
            "actor": org.duty_officer,
        }
        fields.update(overrides)
        fields.setdefault("now", fields["discovered_at"])
        return log_incident(**fields)

    return _log


def obligations_by_kind(incident) -> dict:
    return {o.kind: o for o in incident.obligations.exclude(state="waived")}
