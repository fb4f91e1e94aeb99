from .contact import ContactPreference, Destination, ProviderSend, Robot, default_channel_order
from .drill import Drill, DrillResult
from .entry import EscalationEntry
from .notification import DeliveryAttempt, Notification
from .plan import EscalationPlan
from .policy import Audience, ChannelKind, EscalationPolicy, EscalationStep
from .roster import DutyShift
from .run import EnforcementRun
from .work_app import WorkApp

__all__ = [
    "Audience",
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
    "Robot",
    "WorkApp",
    "default_channel_order",
]
