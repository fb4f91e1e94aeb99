"""Celery tasks: thin shells around the enforcement pass, delivery and the scheduled reports."""

from functools import partial

from celery import shared_task
from django.utils import timezone

from .batches import deliver_batch, enqueue_due
from .enforcement import enforce
from .scheduled_reports import send_due_reports


@shared_task(name="notifications.tasks.deliver_notifications", ignore_result=True)
def deliver_notifications(notification_ids):
    deliver_batch(notification_ids)


@shared_task(name="notifications.tasks.run_enforcement_pass", ignore_result=True)
def run_enforcement_pass():
    enforce(timezone.now(), deliver=partial(enqueue_due, enqueue=deliver_notifications.delay))


@shared_task(name="notifications.tasks.send_scheduled_reports", ignore_result=True)
def send_scheduled_reports():
    send_due_reports(timezone.now())
