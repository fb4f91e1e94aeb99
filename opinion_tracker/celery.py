"""The Celery app for production: one beat schedules the enforcement pass, workers run it.

The database, not the queue, holds every deadline (see docs/architecture.md): beat only says
"run a pass now", so a lost or repeated tick is harmless.
"""

import os

from celery import Celery

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
