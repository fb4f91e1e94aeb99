"""Who a step reaches, resolved when it fires (people and posts change while an incident runs).

A department's contacts are whoever is on duty by its roster when the step fires, else its people
with the ``duty_officer`` role. One ``Directory`` lives for one pass and remembers what it has
looked up, so a pass over thousands of obligations asks the database once per department, not once
per obligation.
"""

from functools import cache, cached_property
from typing import NamedTuple

from django.db.models import Q

from incidents.models import AccountabilityFinding, Department, Incident, Instruction, ObligationKind, Person, Role
from incidents.models.organisation import walk_up
from incidents.services.calendar import WorkingCalendar
from incidents.services.deadlines import nearest_first
from incidents.services.hours import Hours, hours_of

from . import roster
from .models import Audience, DutyShift, EscalationPolicy, Robot, WorkApp

# The audiences read in the departments that owe an obligation; the others are the government's.
DEPARTMENT_AUDIENCES = frozenset(
    {Audience.CONTACTS, Audience.SHIFT_LEADER, Audience.RESPONSIBLE_LEADER, Audience.PRINCIPAL_LEADER}
)


class Addressees(NamedTuple):
    """Whom an obligation's steps address: the departments that owe it, the lead first, and for a leader's
    instruction or a 约谈整改 the person its last level goes back to (docs/rules.md, "Casework")."""

    department_ids: tuple[int, ...]
    giver_id: int | None = None


def addressees_of(obligations) -> dict[int, Addressees]:
    """Each obligation's addressees, in three queries at most for a whole batch: an instruction is owed by the
    department it was addressed to, its last level going back to the leader who gave it; a rectification report
    by the department interviewed, its last level going back to the auditor who recorded the interview; any
    other obligation by the lead and every co-handling department."""
    incident_ids = {o.incident_id for o in obligations if not o.from_casework}
    co_handlers: dict[int, list[int]] = {}
    through = Incident.co_departments.through.objects.filter(incident_id__in=incident_ids)
    for incident_id, department_id in through.order_by("department_id").values_list("incident_id", "department_id"):
        co_handlers.setdefault(incident_id, []).append(department_id)
    givers = {
        ObligationKind.INSTRUCTION: askers(Instruction, "given_by_id", {o.instruction_id for o in obligations}),
        ObligationKind.RECTIFICATION: askers(
            AccountabilityFinding, "recorded_by_id", {o.finding_id for o in obligations}
        ),
    }
    return {
        o.pk: (
            Addressees((o.department_id,), givers[o.kind][o.instruction_id or o.finding_id])
            if o.from_casework
            else Addressees((o.incident.department_id, *co_handlers.get(o.incident_id, ())))
        )
        for o in obligations
    }


def askers(model, asker_field, ids) -> dict[int, int]:
    """Who asked for each of ``ids`` (instructions or findings; None among them ignored), by id."""
    ids = ids - {None}
    return dict(model.objects.filter(pk__in=ids).values_list("pk", asker_field)) if ids else {}


class Directory:
    """What one pass looks up, as of ``now`` (who is on duty depends on it)."""

    def __init__(self, now):
        self.now = now
        self.department = cache(self._department)
        self.recipients = cache(self._recipients)
        self.policy = cache(self._policy)
        self.robot = cache(self._robot)
        self.hours = cache(self._hours)
        self.work_app = cache(self._work_app)
        self.calendar = WorkingCalendar()

    @cached_property
    def work_apps(self) -> dict:
        """Every enabled work-message app, read once (there are a handful)."""
        return WorkApp.enabled_by_place()

    def _work_app(self, provider, department_id) -> WorkApp | None:
        lineage = [d.pk for d in self._chain(department_id)] if department_id is not None else []
        return WorkApp.nearest(self.work_apps, provider, lineage)

    @staticmethod
    def _robot(department_id) -> Robot | None:
        return Robot.of_department(department_id)

    @staticmethod
    def _department(department_id) -> Department:
        return Department.objects.get(pk=department_id)

    def _chain(self, department_id) -> list[Department]:
        """The department and its ancestors, nearest first, each read once per pass."""

        def parent_of(department):
            return self.department(department.parent_id) if department.parent_id else None

        return list(walk_up(self.department(department_id), parent_of))

    def _nearest_government(self, department_id) -> Department | None:
        return next((d for d in self._chain(department_id) if d.is_government), None)

    def _hours(self, department_id) -> Hours:
        """The working hours in force for the department: its nearest government's, else the national ones."""
        governments = [d.pk for d in self._chain(department_id) if d.is_government]
        return hours_of(governments, self.calendar)

    def _people(self, ids) -> list[Person]:
        ids = [pk for pk in ids if pk is not None]
        found = {person.pk: person for person in Person.objects.filter(pk__in=ids, is_active=True)}
        return [found[pk] for pk in dict.fromkeys(ids) if pk in found]

    def on_duty(self, department_id, post) -> list[Person]:
        """Who the roster has on duty in ``post`` now."""
        return roster.on_duty(department_id, post, self.now)

    def duty_officers(self, department_id) -> list[Person]:
        """The department's active duty officers, whoever is on duty."""
        people = Person.objects.filter(department_id=department_id, groups__name=Role.DUTY_OFFICER, is_active=True)
        return list(people.order_by("pk"))

    def _leaders(self, department_id) -> list[Person]:
        if department_id is None:
            return []
        department = self.department(department_id)
        return self._people([department.principal_leader_id, department.responsible_leader_id])

    def _recipients(self, department_id, audience) -> tuple[Person, ...]:
        department = self.department(department_id)
        government = self._nearest_government(department_id)
        if audience == Audience.CONTACTS:
            # Whoever is on duty now; where nobody is (no roster, or a gap in it), the duty officers.
            on_duty = self.on_duty(department_id, DutyShift.Post.DUTY_OFFICER)
            return tuple(on_duty or self.duty_officers(department_id))
        if audience == Audience.SHIFT_LEADER:
            on_duty = self.on_duty(department_id, DutyShift.Post.SHIFT_LEADER)
            return tuple(on_duty or self._people([department.responsible_leader_id]))
        if audience == Audience.RESPONSIBLE_LEADER:
            return tuple(self._people([department.responsible_leader_id]))
        if audience == Audience.PRINCIPAL_LEADER:
            return tuple(self._people([department.principal_leader_id]))
        if government is None:
            return ()
        if audience == Audience.OFFICE_LEADERS:
            return tuple(self._leaders(government.supervising_office_id))
        if audience == Audience.PUBLICITY_LEADERS:
            return tuple(self._leaders(government.publicity_department_id))
        if audience == Audience.GOVERNMENT_LEADER:
            return tuple(self._people([government.principal_leader_id]))
        raise ValueError(f"Unknown audience {audience!r}")

    def reach(self, addressees: "Addressees", audiences, last_level: bool = False) -> list[Person]:
        """Everyone the audiences name, each once, in the order the audiences list them.

        A department's audiences are read in every department that owes the obligation (the lead and its
        co-handlers); the government's, from the first of them. An instruction's last level (and its repeats)
        goes back to the leader who gave it, alone; a rectification report's, to the auditor who asked for it.
        """
        if last_level and addressees.giver_id is not None:
            return self._people([addressees.giver_id])
        people = {}
        for audience in audiences:
            if audience not in DEPARTMENT_AUDIENCES:
                found = self.recipients(addressees.department_ids[0], audience)
            else:
                found = tuple(p for pk in addressees.department_ids for p in self.recipients(pk, audience))
            for person in found:
                people.setdefault(person.pk, person)
        return list(people.values())

    def _policy(self, department_id, severity) -> EscalationPolicy | None:
        """The ladder of the nearest government that has one for ``severity``, else the national one."""
        governments = [d.pk for d in self._chain(department_id) if d.is_government]
        return next(iter(nearest_first(self.ladders(governments, severity), governments)), None)

    @staticmethod
    def ladders(government_ids, severity):
        """The ladders for ``severity`` of these governments and the national one, with their steps."""
        candidates = EscalationPolicy.objects.filter(
            Q(government__isnull=True) | Q(government__in=government_ids), severity=severity
        )
        return candidates.prefetch_related("steps")
