"""Writing the append-only timeline, always inside the transaction of the change it records.

Every event is appended to its incident's hash chain (``incidents.services.audit_chain``).
"""

from incidents.models import TimelineEvent

from .audit_chain import append_event


def record_event(incident, kind, at, actor=None, obligation=None, **detail) -> TimelineEvent:
    return append_event(incident, kind, at, actor=actor, obligation=obligation, detail=detail)


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
