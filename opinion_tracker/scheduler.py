"""The embedded scheduler: one APScheduler ``BackgroundScheduler`` running the enforcement pass, delivery,
the daily audit seal and the scheduled reports.

Started only by ``manage.py runtracker`` (never from ``AppConfig.ready()``, which runs in every
process that imports Django: migrations, shells, each web worker). Each job runs one at a time
(``max_instances=1``); late ticks are merged (``coalesce``) and still run however late
(``misfire_grace_time=None``), since a pass catches up with everything due anyway.
"""

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from incidents.services.audit_seal import seal_due
from notifications.batches import deliver_due_inline
from notifications.enforcement import enforce
from notifications.scheduled_reports import send_due_reports

logger = logging.getLogger(__name__)


def deliveries_run_as_their_own_job(now) -> int:
    """The pass hands nothing over: the delivery job picks up what is ready (see ``start_scheduler``)."""
    return 0


def run_job(job) -> None:
    close_old_connections()
    try:
        job(timezone.now())
    except Exception:
        logger.exception("%s failed; the next run will catch up", job.__name__)
    finally:
        close_old_connections()


def run_pass(now) -> None:
    enforce(now, deliver=deliveries_run_as_their_own_job)


def start_scheduler() -> BackgroundScheduler:
    """Two jobs on the same interval, each one at a time: the pass, and delivery. Delivery is its own
    job so that a slow or silent mail server delays messages, never the recording of steps."""
    scheduler = BackgroundScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}, timezone="UTC"
    )
    for job in (run_pass, deliver_due_inline):
        scheduler.add_job(
            run_job,
            "interval",
            args=[job],
            seconds=settings.ENFORCEMENT_INTERVAL_SECONDS,
            id=job.__name__,
            next_run_time=timezone.now(),
        )
    # The audit seal: at start (a day missed while the tracker was down), then every hour at five past; a day
    # is sealed once, whoever runs it (docs/rules.md, "Assessment (考核) and audit trust").
    scheduler.add_job(run_job, "cron", args=[seal_due], minute=5, id=seal_due.__name__, next_run_time=timezone.now())
    # The scheduled reports: at start (those missed while the tracker was down), then every five minutes; each
    # period's report is sent once, whoever runs it (notifications.scheduled_reports).
    scheduler.add_job(
        run_job,
        "cron",
        args=[send_due_reports],
        minute="*/5",
        id=send_due_reports.__name__,
        next_run_time=timezone.now(),
    )
    scheduler.start()
    return scheduler
