"""docker-compose.yml cannot be run here (no Docker engine); check that it still matches the code."""

import re

import yaml
from django.conf import settings

from ..processes import ROOT


def services():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_every_celery_queue_has_a_worker_and_there_is_exactly_one_beat():
    commands = [service.get("command", "") for service in services().values()]
    consumed = {
        queue
        for command in commands
        if " worker " in f" {command} "
        for queue in re.search(r"--queues (\S+)", command).group(1).split(",")
    }

    assert consumed == {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert sum(" beat " in f" {command} " for command in commands) == 1


def test_the_web_service_is_health_checked_on_healthz():
    assert "/healthz" in " ".join(services()["web"]["healthcheck"]["test"])
