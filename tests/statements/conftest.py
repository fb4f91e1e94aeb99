"""What the statements tests share: an incident of the fixture department, and a reviewer for every gate."""

import pytest

from tests.conftest import beijing


@pytest.fixture
def incident(log):
    return log(discovered_at=beijing(2026, 3, 2, 9, 0), now=beijing(2026, 3, 2, 9, 0))
