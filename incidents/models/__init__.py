from .accountability import AccountabilityFinding
from .audit import AuditSeal
from .calendar import CalendarDay, CalendarYear
from .casework import Assessment, CaseRequest, Instruction
from .hours import WorkingHours
from .incident import (
    PUBLIC_ACTION_KINDS,
    SATISFIED_BY,
    Action,
    ActionKind,
    Clock,
    Incident,
    Obligation,
    ObligationKind,
    Severity,
    TimelineEvent,
)
from .organisation import Department, Person, ReviewGate, Role
from .policy import ObligationPolicy
from .reader import IncidentReader
from .signin import SignInFailure

__all__ = [
    "PUBLIC_ACTION_KINDS",
    "SATISFIED_BY",
    "AccountabilityFinding",
    "Action",
    "ActionKind",
    "Assessment",
    "AuditSeal",
    "CalendarDay",
    "CalendarYear",
    "CaseRequest",
    "Clock",
    "Department",
    "Incident",
    "IncidentReader",
    "Instruction",
    "Obligation",
    "ObligationKind",
    "ObligationPolicy",
    "Person",
    "ReviewGate",
    "Role",
    "Severity",
    "SignInFailure",
    "TimelineEvent",
    "WorkingHours",
]
