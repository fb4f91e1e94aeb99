"""The command line of docs/api.md: migrate puts the national defaults in force, the demo loads, a pass runs."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from incidents.models import Department, Incident, ObligationPolicy, Person
from notifications.enforcement import last_run

from ..conftest import beijing

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_migrate_alone_puts_the_national_policy_in_force():
    policies = {(p.severity, p.kind): p for p in ObligationPolicy.objects.filter(government=None)}

    assert len(policies) == 16
    assert policies["major", "first_statement"].offset.total_seconds() == 5 * 3600
    assert policies["general", "verification_report"].offset_working_days == 2
    assert ("general", "follow_up") not in policies


@pytest.mark.django_db
def test_the_demo_organisation_loads_once():
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())

    assert Department.objects.filter(is_government=True).count() == 1
    assert Person.objects.filter(username="transport_duty", groups__name="duty_officer").exists()
    assert set(Incident.objects.values_list("state", flat=True)) == {"open", "closed"}
    states = set(Incident.objects.values_list("obligations__state", flat=True))
    assert {"pending", "overdue", "met"} <= states


@pytest.mark.django_db
def test_a_pass_records_when_it_ran_and_says_what_it_did(log):
    log(discovered_at=beijing(2026, 3, 10, 10))
    out = StringIO()

    with time_machine.travel(beijing(2026, 3, 10, 16), tick=False):
        call_command("enforce_deadlines", "--once", stdout=out)

    # The internal report (due 12:00) and the first statement (due 15:00) are overdue: three levels, the
    # latest repeat (14:00 + 2 h) and two stale warnings for the first, two levels and two stale
    # warnings for the second; the seven emails of those levels are attempted inline (the repeat goes
    # to the mayor inside the third level's message: one message per person and obligation in a pass).
    assert out.getvalue().strip() == (
        "enforcement pass done: 2 obligation(s) marked overdue, 10 escalation step(s) recorded, 7 delivery attempt(s)"
    )
    assert len(mail.outbox) == 7
    assert last_run().last_started_at == beijing(2026, 3, 10, 16)
    assert last_run().last_summary == {"marked_overdue": 2, "steps_recorded": 10, "deliveries": 7}


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set unless DEBUG=1" in result.stderr
