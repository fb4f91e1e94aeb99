"""Intake from monitoring systems: an incident reported twice is logged once."""

from django.db import IntegrityError, transaction

from incidents.models import Incident
from opinion_tracker.lib.validation import Errors, check_required

from .incidents import log_incident


def ingest_incident(*, account, external_id, now, **details) -> tuple[Incident, bool]:
    """Log what ``account`` reported as ``external_id``, unless it already did; returns (incident, created).

    Monitoring systems retry, and may post the same report from several workers at once. The unique
    constraint on (logged_by, external_id) decides: of concurrent identical posts, one INSERT wins and
    the others fail on the constraint inside their savepoint (on PostgreSQL they wait for the winner
    to commit first), then read the winner's row. A report posted again later is never merged into
    or compared with the first: the first report stands, as it was logged.
    """
    errors = Errors()
    check_required(errors, "external_id", external_id)
    errors.raise_if_any()
    external_id = external_id.strip()
    existing = Incident.objects.filter(logged_by=account, external_id=external_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return log_incident(actor=account, external_id=external_id, now=now, **details), True
    except IntegrityError:
        existing = Incident.objects.filter(logged_by=account, external_id=external_id).first()
        if existing is None:
            raise
        return existing, False
