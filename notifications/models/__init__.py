from .contact import ContactPreference, Destination, ProviderSend, Robot, default_channel_order
from .drill import Drill, DrillResult
from .entry import EscalationEntry
from .notification import DeliveryAttempt, Notification
from .plan import EscalationPlan
from .policy import Audience, ChannelKind, EscalationPolicy, EscalationStep
from .reports import ReportKind, ReportSubscription, SentReport
from .roster import DutyShift
from .run import EnforcementRun
from .scoring import BreachDeduction, Scoring, ScoringRule, ScoringWeight
from .work_app import WorkApp

__all__ = [
    "Audience",
    "BreachDeduction",
    "ChannelKind",
    "ContactPreference",
    "DeliveryAttempt",
    "Destination",
    "Drill",
    "DrillResult",
    "DutyShift",
    "EnforcementRun",
    "EscalationEntry",
    "EscalationPlan",
    "EscalationPolicy",
    "EscalationStep",
    "Notification",
    "ProviderSend",
    "ReportKind",
    "ReportSubscription",
    "Robot",
    "Scoring",
    "ScoringRule",
    "ScoringWeight",
    "SentReport",
    "WorkApp",
    "default_channel_order",
]
