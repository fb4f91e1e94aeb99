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


def test_every_service_is_health_checked():
    unchecked = [name for name, service in services().items() if not service.get("healthcheck", {}).get("test")]
    assert unchecked == []


def test_every_variable_compose_sets_for_the_tracker_is_one_the_settings_read():
    """A variable misspelt in docker-compose.yml would be silently ignored; each must be read by the settings."""
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', (ROOT / "opinion_tracker" / "settings.py").read_text()))
    composed = set(services()["web"]["environment"])
    assert composed - read == set()
