"""What the statements tests share: an incident of the fixture department, and a reviewer for every gate."""

import pytest

from incidents.models import ReviewGate, Role
from tests.conftest import beijing
from tests.factories import PersonFactory


@pytest.fixture
def incident(log):
    return log(discovered_at=beijing(2026, 3, 2, 9, 0), now=beijing(2026, 3, 2, 9, 0))


@pytest.fixture
def reviewers(org):
    """One reviewer of the fixture department per gate, by gate."""
    return {
        gate: PersonFactory(department=org.department, roles=[Role.REVIEWER], review_gates=[gate])
        for gate in ReviewGate.values
    }
