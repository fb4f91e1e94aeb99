"""Breaches with who was told when: the part of the compliance report that needs the notifications."""

from django.db.models import Prefetch

from incidents.reports.compliance import breached

from .models import Notification

# A breach's findings with the rectification report each 约谈整改 asks for, as the compliance page shows them.
FINDINGS = ("findings__rectification__department", "findings__rectification__met_by")


def breaches(obligations, now):
    """The breached ones of ``obligations``: the latest incident's first, each incident's latest deadline first
    (the order of the report's index, so a first page never sorts a whole year), with findings and notifications."""
    told = Notification.objects.select_related("recipient").order_by("created_at", "pk")
    return (
        obligations.filter(breached(now))
        .select_related("incident", "incident__department")
        .prefetch_related(*FINDINGS, Prefetch("notifications", queryset=told))
        .order_by("-incident_discovered_at", "-due_at", "-pk")
    )


def late_by_seconds(obligation, now) -> int:
    until = obligation.met_at if obligation.met_at is not None else now
    return max(0, round((until - obligation.due_at).total_seconds()))
