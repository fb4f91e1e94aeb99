"""Celery tasks: thin shells around the enforcement pass."""

from celery import shared_task
from django.utils import timezone

from .enforcement import enforce


@shared_task(name="notifications.tasks.run_enforcement_pass", ignore_result=True)
def run_enforcement_pass():
    enforce(timezone.now())
