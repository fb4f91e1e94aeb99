"""/healthz: what a load balancer or an operator polls to see that enforcement is running."""

from datetime import timedelta

import pytest
import time_machine

from notifications.enforcement import enforce

from ..conftest import beijing

NOW = beijing(2026, 3, 10, 10)


@pytest.mark.django_db
def test_health_is_503_until_a_pass_has_run_and_again_once_passes_stop(client, settings):
    settings.ENFORCEMENT_INTERVAL_SECONDS = 10

    with time_machine.travel(NOW, tick=False):
        never = client.get("/healthz")
        enforce(NOW)
        fresh = client.get("/healthz")
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        still = client.get("/healthz")
    with time_machine.travel(NOW + timedelta(seconds=31), tick=False):
        stale = client.get("/healthz")

    assert (never.status_code, never.json()) == (503, {"database": "ok", "last_sweep_at": None, "ok": False})
    assert fresh.status_code == 200
    assert fresh.json() == {"database": "ok", "last_sweep_at": "2026-03-10T02:00:00Z", "ok": True}
    assert still.status_code == 200
    assert (stale.status_code, stale.json()["ok"]) == (503, False)
