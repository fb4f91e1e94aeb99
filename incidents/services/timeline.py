"""Writing the append-only timeline, always inside the transaction of the change it records."""

from incidents.models import TimelineEvent


def record_event(incident, kind, at, actor=None, obligation=None, **detail) -> TimelineEvent:
    return TimelineEvent.objects.create(
        incident=incident, kind=kind, at=at, actor=actor, obligation=obligation, detail=detail
    )


def obligation_event(obligation, kind, at, actor=None, **detail) -> TimelineEvent:
    """An event about one obligation; its kind and due time are always part of the detail."""
    return record_event(
        obligation.incident,
        kind,
        at,
        actor=actor,
        obligation=obligation,
        obligation_kind=obligation.kind,
        due_at=obligation.due_at,
        **detail,
    )
