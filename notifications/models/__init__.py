from .notification import DeliveryAttempt, Notification
from .plan import EscalationPlan
from .policy import Audience, ChannelKind, EscalationPolicy, EscalationStep
from .run import EnforcementRun

__all__ = [
    "Audience",
    "ChannelKind",
    "DeliveryAttempt",
    "EnforcementRun",
    "EscalationPlan",
    "EscalationPolicy",
    "EscalationStep",
    "Notification",
]
