"""The Celery app for production: one beat schedules the enforcement pass and the daily audit seal, workers
run them.

The database, not the queue, holds every deadline (see docs/architecture.md): beat only says
"run a pass now", so a lost or repeated tick is harmless.
"""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opinion_tracker.settings")

app = Celery("opinion_tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def schedule_enforcement(sender, **kwargs):
    from django.conf import settings

    sender.add_periodic_task(
        float(settings.ENFORCEMENT_INTERVAL_SECONDS),
        # A tick that waited longer than an interval in the queue is dropped: the next one catches up.
        sender.signature(
            "notifications.tasks.run_enforcement_pass", options={"expires": settings.ENFORCEMENT_INTERVAL_SECONDS}
        ),
        name="enforcement pass",
    )


@app.on_after_finalize.connect
def schedule_reports(sender, **kwargs):
    """Every five minutes, on the delivery queue (reports go out by mail and robot): the 日报, 周报 and 月报 fallen
    due go out within five minutes of their time, those missed while beat was down when it is back. Each period's
    report is sent once, however many run it (notifications.scheduled_reports)."""
    sender.add_periodic_task(
        crontab(minute="*/5"),
        sender.signature("notifications.tasks.send_scheduled_reports", options={"queue": "delivery", "expires": 300}),
        name="scheduled reports",
    )


@app.task(name="incidents.seal_audit_chains", ignore_result=True)
def seal_audit_chains():
    from incidents.services.audit_seal import seal_due

    seal_due()


@app.on_after_finalize.connect
def schedule_audit_seal(sender, **kwargs):
    """Every hour, at five past (Beijing time): yesterday is sealed soon after midnight, and a day missed while
    beat was down is sealed within the hour it is back. A day is sealed once, however many run it."""
    sender.add_periodic_task(
        crontab(minute=5),
        sender.signature("incidents.seal_audit_chains", options={"queue": "enforcement", "expires": 3600}),
        name="audit seal",
    )


@task_prerun.connect
def log_with_the_task_id(task_id=None, **kwargs):
    """A task's log lines carry its id where a request's carry the request's (opinion_tracker.logs)."""
    from opinion_tracker.logs import REQUEST_ID

    REQUEST_ID.set(task_id or "")
