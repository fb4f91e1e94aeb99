"""待办: what is waiting on the signed-in person, one section per thing their roles give them to do.

Duty officers: the open obligations of the incidents their departments lead, the instructions addressed to
their departments still to answer, the rectification reports they owe after a 约谈整改, and their requests
refused lately. Leaders (and administrators, who decide
everything): the requests they may decide, with the deadline each affects, and the instructions they gave and
where each stands. The government office: the returns to decide and the incidents to dispatch. Each section is
one query (or two, with its prefetch), whatever its length; every row links to its incident, where the work is
done. Escalations stay on 我的督办, linked from here through the declared pages (``incidents`` never imports
``notifications``); other apps add their own sections (``opinion_tracker.lib.contributions``), such as the
statements waiting for a reviewer, a leader or a duty officer.
"""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone
from django.views.generic import TemplateView

from incidents.access import Caller
from incidents.casework.deciders import decidable_among
from incidents.models import (
    CaseRequest,
    Incident,
    Instruction,
    Obligation,
    ObligationKind,
    Role,
    TimelineEvent,
)
from opinion_tracker.lib.contributions import LIMIT, Section, bounded, todo_sections
from opinion_tracker.lib.durations import countdown_patterns
from opinion_tracker.lib.pages import declared_pages

from .access import PersonPage
from .clocks import clock_of
from .pages import TO_DO

RECENT = timedelta(days=30)  # refused requests and finished instructions shown this long
DISPATCH_WINDOW = timedelta(hours=24)
ESCALATIONS = "web:escalations"  # 我的督办, the notifications app's page, found among the declared pages
DECIDERS = frozenset({Role.LEADER, Role.ADMIN})
OFFICE_ROLES = frozenset({Role.DUTY_OFFICER, Role.LEADER})


def with_clocks(section: Section, now) -> Section:
    return Section([(obligation, clock_of(obligation, now)) for obligation in section.rows], section.more)


def open_obligations(caller: Caller, now) -> Section:
    """The lead's own open obligations (not instructions) of the incidents the caller handles, nearest first."""
    obligations = Obligation.objects.filter(
        Obligation.of_policy(),
        state__in=Obligation.OPEN_STATES,
        incident__state=Incident.State.OPEN,
        incident__department__in=caller.own_subtree,
    )
    return with_clocks(bounded(obligations.select_related("incident__department").order_by("due_at", "pk")), now)


def instructions_to_answer(caller: Caller, now) -> Section:
    """The replies the caller's departments still owe to leaders' instructions, nearest deadline first."""
    obligations = Obligation.objects.filter(
        kind=ObligationKind.INSTRUCTION, state__in=Obligation.OPEN_STATES, department__in=caller.own_subtree
    )
    related = obligations.select_related("incident", "department", "instruction__given_by")
    return with_clocks(bounded(related.order_by("due_at", "pk")), now)


def rectifications_to_submit(caller: Caller, now) -> Section:
    """The rectification reports (整改报告) the caller's own department owes after a 约谈整改 (its duty officers
    submit them, ``co_handling.reports_for``), nearest deadline first, whether or not the incident is still open."""
    obligations = Obligation.objects.filter(
        kind=ObligationKind.RECTIFICATION, state__in=Obligation.OPEN_STATES, department=caller.person.department_id
    )
    related = obligations.select_related("incident", "department", "finding__recorded_by")
    return with_clocks(bounded(related.order_by("due_at", "pk")), now)


def refused_requests(caller: Caller, now) -> Section:
    """The caller's own requests refused in the last ``RECENT``, the latest decision first."""
    requests = CaseRequest.objects.filter(
        requested_by=caller.person, state=CaseRequest.State.REFUSED, decided_at__gte=now - RECENT
    )
    return bounded(requests.select_related("incident", "obligation", "decided_by").order_by("-decided_at", "-pk"))


def decidable(caller: Caller, requests) -> Section:
    """Of the pending ``requests`` (a queryset already narrowed to what the caller might decide), those
    ``may_decide`` lets the caller decide."""
    candidates = bounded(requests.exclude(requested_by=caller.person).select_related("incident__department"))
    return Section(decidable_among(caller, candidates.rows), candidates.more)


def requests_to_decide(caller: Caller, now) -> Section:
    """Pending downgrades, extensions and waivers the caller may decide, each with the deadlines it affects
    (the obligation's; for a downgrade, the incident's deadlines still running), the nearest first."""
    pending = CaseRequest.objects.filter(state=CaseRequest.State.PENDING, incident__state=Incident.State.OPEN)
    pending = pending.exclude(kind=CaseRequest.Kind.RETURN)
    if not caller.sees_everything:
        # A superset of what may_decide allows: the lead's leaders, and leaders of the subtree or office.
        person = caller.person
        pending = pending.filter(
            Q(incident__department__in=caller.own_subtree)
            | Q(incident__department__principal_leader=person)
            | Q(incident__department__responsible_leader=person)
        )
    running = Obligation.objects.filter(Obligation.of_policy(), state__in=Obligation.OPEN_STATES).order_by(
        "due_at", "pk"
    )
    pending = pending.select_related("requested_by", "obligation").prefetch_related(
        Prefetch("incident__obligations", queryset=running, to_attr="running")
    )
    requests = decidable(caller, pending.order_by("requested_at", "pk"))
    rows = []
    for request in requests.rows:
        affected = [request.obligation] if request.obligation is not None else request.incident.running
        rows.append((request, [(obligation, clock_of(obligation, now)) for obligation in affected]))
    rows.sort(key=lambda row: (not row[1], min((o.due_at for o, _clock in row[1]), default=now)))
    return Section(rows, requests.more)


def instructions_given(caller: Caller, now) -> Section:
    """The caller's instructions still open or given in the last ``RECENT``, newest first, each with every
    addressed department's obligation (its state, reply and deadline)."""
    still_open = Obligation.objects.filter(instruction=OuterRef("pk"), state__in=Obligation.OPEN_STATES)
    instructions = Instruction.objects.filter(
        Q(Exists(still_open)) | Q(given_at__gte=now - RECENT), given_by=caller.person
    )
    addressees = Obligation.objects.select_related("department").order_by("department__name", "pk")
    related = instructions.select_related("incident").prefetch_related(Prefetch("obligations", queryset=addressees))
    given = bounded(related.order_by("-given_at", "-pk"))
    rows = [(instruction, [(o, clock_of(o, now)) for o in instruction.obligations.all()]) for instruction in given.rows]
    return Section(rows, given.more)


def office_departments(caller: Caller) -> Q:
    """Incidents under the governments whose office the caller works in (every incident, for administrators)."""
    if Role.ADMIN in caller.roles:
        return Q()
    return Q(department__in=caller.subtree(*caller.office_of))


def returns_to_decide(caller: Caller, now) -> Section:
    """Pending returns (退回) of the office's incidents that the caller may decide, the longest waiting first."""
    under = Incident.objects.filter(office_departments(caller), state=Incident.State.OPEN)
    pending = CaseRequest.objects.filter(state=CaseRequest.State.PENDING, kind=CaseRequest.Kind.RETURN)
    pending = pending.filter(incident__in=under).select_related("requested_by")
    return decidable(caller, pending.order_by("requested_at", "pk"))


def incidents_to_dispatch(caller: Caller, now) -> Section:
    """Open incidents of the office's government logged in the last ``DISPATCH_WINDOW`` that have no
    co-handling department and were never transferred: the office has not yet shared them out. Newest first."""
    co_handled = Incident.co_departments.through.objects.filter(incident_id=OuterRef("pk"))
    transferred = TimelineEvent.objects.filter(incident_id=OuterRef("pk"), kind=TimelineEvent.Kind.TRANSFERRED)
    incidents = Incident.objects.filter(
        office_departments(caller), state=Incident.State.OPEN, logged_at__gte=now - DISPATCH_WINDOW
    ).filter(~Exists(co_handled), ~Exists(transferred))
    return bounded(incidents.select_related("department").order_by("-logged_at", "-pk"))


def escalations_link(request, caller: Caller):
    """我的督办 with its count of entries not yet acknowledged, when it is declared and the caller may open it."""
    for page in declared_pages():
        if page.url_name == ESCALATIONS and page.roles & caller.roles:
            return {"page": page, "count": page.badge(request) if page.badge else 0}
    return None


def sections_of(caller: Caller, now) -> dict:
    """The sections the caller's roles give, by name."""
    sections = {}
    if Role.DUTY_OFFICER in caller.roles:
        sections["obligations"] = open_obligations(caller, now)
        sections["instructions"] = instructions_to_answer(caller, now)
        sections["rectifications"] = rectifications_to_submit(caller, now)
        sections["refused"] = refused_requests(caller, now)
    if caller.has_any(DECIDERS):
        sections["to_decide"] = requests_to_decide(caller, now)
        sections["given"] = instructions_given(caller, now)
    if Role.ADMIN in caller.roles or (caller.office_of and caller.has_any(OFFICE_ROLES)):
        sections["returns"] = returns_to_decide(caller, now)
        sections["dispatch"] = incidents_to_dispatch(caller, now)
    return sections


def contributed_sections(caller: Caller, now) -> list:
    """The other apps' sections the caller has, each with its rows: (contribution, section)."""
    found = ((contribution, contribution.rows(caller, now)) for contribution in todo_sections())
    return [(contribution, section) for contribution, section in found if section is not None]


class ToDoView(PersonPage, TemplateView):
    roles = TO_DO.roles
    template_name = "tracker/todo.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        caller = self.caller
        escalations = escalations_link(self.request, caller) if Role.LEADER in caller.roles else None
        return {
            **super().get_context_data(**kwargs),
            "sections": sections_of(caller, now),
            "contributed": contributed_sections(caller, now),
            "escalations": escalations,
            "limit": LIMIT,
            "now": now,
            "countdown_patterns": countdown_patterns(),
        }
