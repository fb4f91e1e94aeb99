"""Breaches with who was told when: the part of the compliance report that needs the notifications."""

from django.db.models import Prefetch

from incidents.models import Obligation
from incidents.reports.compliance import breached

from .models import Notification


def breaches(incidents, now):
    """The breached obligations of ``incidents``, latest deadline first, with findings and notifications."""
    told = Notification.objects.select_related("recipient").order_by("created_at", "pk")
    return (
        Obligation.objects.filter(incident__in=incidents)
        .filter(breached(now))
        .select_related("incident", "incident__department")
        .prefetch_related("findings", Prefetch("notifications", queryset=told))
        .order_by("-due_at", "-pk")
    )


def late_by_seconds(obligation, now) -> int:
    until = obligation.met_at if obligation.met_at is not None else now
    return max(0, round((until - obligation.due_at).total_seconds()))
