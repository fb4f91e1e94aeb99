"""The embedded scheduler: one APScheduler ``BackgroundScheduler`` running the enforcement pass.

Started only by ``manage.py runtracker`` (never from ``AppConfig.ready()``, which runs in every
process that imports Django: migrations, shells, each web worker). One pass at a time
(``max_instances=1``); late ticks are merged (``coalesce``) and still run however late
(``misfire_grace_time=None``), since a pass catches up with everything due anyway.
"""

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from notifications.enforcement import enforce

logger = logging.getLogger(__name__)


def run_pass() -> None:
    close_old_connections()
    try:
        enforce(timezone.now())
    except Exception:
        logger.exception("Enforcement pass failed; the next one will catch up")
    finally:
        close_old_connections()


def start_scheduler() -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}, timezone="UTC"
    )
    scheduler.add_job(
        run_pass,
        "interval",
        seconds=settings.ENFORCEMENT_INTERVAL_SECONDS,
        id="enforcement-pass",
        next_run_time=timezone.now(),
    )
    scheduler.start()
    return scheduler
