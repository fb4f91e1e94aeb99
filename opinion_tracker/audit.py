"""Configuration changes, audited (docs/rules.md, "Assessment (考核) and audit trust"): who changed which
department, person, role, policy, ladder, roster, robot, work-message app or calendar, when, before and after.

django-auditlog records each change of the models registered here, from the admin, the API or a command, as
one ``LogEntry`` with ``{"field": [before, after]}``. A person's roles (their groups) are recorded as one more
field of the person, ``roles``, with the whole list before and after. Credentials are stored masked as the
admin shows them (``opinion_tracker.lib.admin.masked``); a person's password hash and last sign-in are not
recorded at all. Gateways configured by the environment are not models, and are not audited.
"""

from auditlog.context import auditlog_disabled
from auditlog.middleware import AuditlogMiddleware
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.db.models.signals import m2m_changed
from django.utils.functional import SimpleLazyObject

from incidents.models import (
    CalendarDay,
    CalendarYear,
    Department,
    ObligationPolicy,
    Person,
    WorkingHours,
)
from incidents.signin import client_address
from notifications.models import (
    BreachDeduction,
    ContactPreference,
    DutyShift,
    EscalationPolicy,
    EscalationStep,
    Robot,
    ScoringRule,
    ScoringWeight,
    WorkApp,
)
from statements.models import FlaggedPhrase, HoldingTemplate, ReviewPolicy

MASK = "opinion_tracker.lib.admin.masked"
ROLES = "roles"

# What each audited model leaves out of its record, and what it records masked. A record holds the model's own
# columns but its ``id``, which the entry names already (not what other rows say about it).
AUDITED = {
    Department: {},
    Person: {"exclude": ["password", "last_login"]},
    ContactPreference: {},  # the order a person is reached in
    ObligationPolicy: {},
    EscalationPolicy: {},
    EscalationStep: {},  # the rungs of the ladders
    DutyShift: {},  # the rosters
    Robot: {"mask": ["token", "secret"]},
    WorkApp: {"mask": ["secret"]},
    CalendarYear: {},
    CalendarDay: {},
    WorkingHours: {},
    ReviewPolicy: {},
    HoldingTemplate: {},
    FlaggedPhrase: {},
    ScoringRule: {},  # how rankings score departments, and its weights and deductions
    ScoringWeight: {},
    BreachDeduction: {},
}


def register_configuration() -> None:
    """Have auditlog record every change of the configuration models, and record people's roles with them."""
    for model, options in AUDITED.items():
        left_out = {"id", *options.get("exclude", ())}
        auditlog.register(
            model,
            include_fields=[field.name for field in model._meta.concrete_fields if field.name not in left_out],
            mask_fields=options.get("mask", []),
            mask_callable=MASK,
        )
    m2m_changed.connect(record_roles, sender=Person.groups.through, dispatch_uid="audit-person-roles")


def role_names(person) -> list[str]:
    """The person's roles as stored now (never a prefetched list, which may be older)."""
    return sorted(person.groups.values_list("name", flat=True))


def record_roles(sender, instance, action, reverse, **kwargs):
    """A change of a person's roles as an update of the person: ``roles`` before and after.

    Roles change on the person (the API's ``roles``, the admin's person page); the group side is never
    edited. Replacing the roles removes and then adds, so it may record two entries, each with the whole
    list before and after it.
    """
    if reverse or auditlog_disabled.get():
        return
    if action.startswith("pre_"):
        instance._roles_before = role_names(instance)
        return
    before, after = getattr(instance, "_roles_before", None), role_names(instance)
    if before is not None and before != after:
        LogEntry.objects.log_create(instance, action=LogEntry.Action.UPDATE, changes={ROLES: [before, after]})


class ActorMiddleware(AuditlogMiddleware):
    """auditlog's middleware, which names who made each change, with two differences.

    The actor is looked up when a change is recorded, not when the request arrives: callers of the API who
    send a token are known only once the API has authenticated them. And the address is the one the sign-in
    limits trust (``incidents.signin.client_address``), not whatever ``X-Forwarded-For`` a client sends.
    """

    @staticmethod
    def _get_actor(request):
        return SimpleLazyObject(lambda: AuditlogMiddleware._get_actor(request))

    @staticmethod
    def _get_remote_addr(request):
        return client_address(request) or None

    @staticmethod
    def _get_remote_port(request):
        return None  # a port named by the client proves nothing
