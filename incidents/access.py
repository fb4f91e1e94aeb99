"""Who may see and do what: roles, and the department subtree a person works in.

A person's scope is their department and every department under it; the people of a government's
office work on every department under that government. Auditors and administrators see everything.
Whoever the tracker told about an incident may read that incident too. Objects outside a person's
scope are left out of every queryset, so asking for one is a 404, the same answer as for an id that
does not exist: their existence never leaks.
"""

from dataclasses import dataclass
from functools import cached_property

from django.db.models import Q
from django.shortcuts import get_object_or_404

from incidents.models import Department, Incident, IncidentReader, Instruction, Obligation, Person, Role

HUMAN_ROLES = frozenset({Role.DUTY_OFFICER, Role.LEADER, Role.REVIEWER, Role.AUDITOR, Role.ADMIN})
SEES_EVERYTHING = frozenset({Role.AUDITOR, Role.ADMIN})
# Who logs incidents and handles them (actions, regrading, closing), within their own subtree.
INCIDENT_HANDLERS = frozenset({Role.DUTY_OFFICER, Role.ADMIN})


def subtree_ids(*department_ids: int) -> frozenset[int]:
    """The ``department_ids`` and every department below them (the tree is small: one query, walked here)."""
    return below(children_of(Department.objects.values_list("pk", "parent_id")), department_ids)


def scope_ids(department_id: int) -> frozenset[int] | None:
    """``subtree_ids(department_id)``, or ``None`` when that is every department (a province's government): a
    report then reads its incidents unfiltered instead of through thousands of ids, twice as fast for a province's
    year (docs/benchmarks.md, "A province")."""
    edges = list(Department.objects.values_list("pk", "parent_id"))
    found = below(children_of(edges), [department_id])
    return None if len(found) == len(edges) else found


Children = dict[int | None, tuple[int, ...]]


def children_of(edges) -> Children:
    """The tree as each department's children, from (department, parent) pairs.

    As tuples, which the garbage collector stops tracking once it has seen them: a caller's tree lives through
    their request (``Caller.tree``), and a province's 4,700 departments in lists were walked by every collection
    meanwhile.
    """
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in edges:
        children.setdefault(parent_id, []).append(pk)
    return {parent: tuple(kids) for parent, kids in children.items()}


def below(children: Children, department_ids) -> frozenset[int]:
    """``department_ids`` and every department under them in ``children``."""
    found, todo = set(), list(department_ids)
    while todo:
        pk = todo.pop()
        if pk not in found:
            found.add(pk)
            todo.extend(children.get(pk, ()))
    return frozenset(found)


@dataclass(frozen=True)
class OfficeTree:
    """The department tree with each government's office, read in one query."""

    children: Children
    offices: dict[int, int | None]  # government → its office

    @classmethod
    def read(cls) -> "OfficeTree":
        rows = list(Department.objects.values_list("pk", "parent_id", "is_government", "supervising_office_id"))
        children = children_of((pk, parent_id) for pk, parent_id, _government, _office in rows)
        return cls(children, {pk: office for pk, _parent, is_government, office in rows if is_government})

    def governments_of(self, department_id: int) -> frozenset[int]:
        """The governments whose office (``supervising_office``) is ``department_id`` or lies under it."""
        offices = below(self.children, [department_id])
        return frozenset(government for government, office in self.offices.items() if office in offices)

    def working_subtree(self, department_id: int) -> frozenset[int]:
        """The departments a person of ``department_id`` works on: their own subtree and, for the people of a
        government's office, every department under that government, since the office coordinates and acts on
        all of its incidents (docs/rules.md, "Casework")."""
        return below(self.children, [department_id, *self.governments_of(department_id)])


@dataclass
class Caller:
    """The person behind a request, with their roles and department scope worked out once."""

    person: Person
    roles: frozenset[str]
    department_ids: frozenset[int] | None  # None: every department

    @classmethod
    def of(cls, person) -> "Caller":
        roles = frozenset(person.roles)
        if person.is_superuser:
            roles |= {Role.ADMIN}
        caller = cls(person=person, roles=roles, department_ids=None)
        if not roles & SEES_EVERYTHING:
            caller.department_ids = caller.own_subtree
        return caller

    def has_any(self, roles) -> bool:
        return bool(self.roles & set(roles))

    @property
    def sees_everything(self) -> bool:
        """Auditors and administrators: no department limits what they read."""
        return self.department_ids is None

    def oversight_scope(self) -> frozenset[int] | bool | None:
        """What the caller oversees across departments (readiness, rankings): ``None`` (everything) for auditors
        and administrators, their working scope for the people of a government's office, ``False`` for others."""
        if self.sees_everything:
            return None
        if self.has_any(HUMAN_ROLES) and self.office_of:
            return self.department_ids
        return False

    def scope_filter(self, department_field: str) -> Q:
        """A filter keeping rows whose ``department_field`` is in scope."""
        if self.sees_everything:
            return Q()
        return Q(**{f"{department_field}__in": self.department_ids})

    def incident_filter(self, incident_path: str = "") -> Q:
        """Incidents the caller may read (or rows of one, through ``incident_path``): those of their scope,
        those their departments co-handle, were given an instruction on or owe a rectification report on
        (which stays theirs when the incident moves to another lead), and those the tracker told them about
        (``IncidentReader``)."""
        if self.sees_everything:
            return Q()
        prefix = f"{incident_path}__" if incident_path else ""
        granted = IncidentReader.objects.filter(person_id=self.person.pk).values("incident_id")
        co_handled = Incident.co_departments.through.objects.filter(department_id__in=self.department_ids)
        addressed = Instruction.departments.through.objects.filter(department_id__in=self.department_ids)
        owed = Obligation.objects.filter(department_id__in=self.department_ids, finding__isnull=False)
        incident = incident_path or "pk"
        return (
            self.scope_filter(f"{prefix}department")
            | Q(**{f"{incident}__in": granted})
            | Q(**{f"{incident}__in": co_handled.values("incident_id")})
            | Q(**{f"{incident}__in": addressed.values("instruction__incident_id")})
            | Q(**{f"{incident}__in": owed.values("incident_id")})
        )

    @cached_property
    def tree(self) -> OfficeTree:
        """The department tree, read once for the caller: their scope, their office and any subtree a request asks
        for all come from it (a province's tree is 4,700 departments)."""
        return OfficeTree.read()

    def subtree(self, *department_ids: int) -> frozenset[int]:
        """``subtree_ids`` from the caller's tree."""
        return below(self.tree.children, department_ids)

    @cached_property
    def own_subtree(self) -> frozenset[int]:
        """The departments the person works on (their own subtree, the office's government), whatever
        else their roles let them read."""
        if self.person.department_id is None:
            return frozenset()
        return self.tree.working_subtree(self.person.department_id)

    @cached_property
    def office_of(self) -> frozenset[int]:
        """The governments whose office the caller works in (usually none, or one)."""
        if self.person.department_id is None:
            return frozenset()
        return self.tree.governments_of(self.person.department_id)

    def is_office_for(self, department) -> bool:
        """Whether the caller works in the office of a government ``department`` lies under: the office
        coordinates every incident of its government (transfers, returns, decisions)."""
        return bool(self.office_of) and any(government.pk in self.office_of for government in department.governments())

    def may_act(self, roles, department_id) -> bool:
        """Whether one of ``roles`` lets the caller change something of ``department_id``.

        Administrators act everywhere; everyone else only in their own subtree, so an auditor who is
        also a duty officer reads every incident but handles only those of their own departments.
        """
        if Role.ADMIN in self.roles:
            return True
        return self.has_any(roles) and department_id in self.own_subtree

    def departments_worked_on(self):
        """The departments the caller acts on: every one for administrators, else their working subtree."""
        if Role.ADMIN in self.roles:
            return Department.objects.all()
        return Department.objects.filter(pk__in=self.own_subtree)

    def writable_departments(self):
        """Departments this caller may log incidents for (duty officers, integration accounts)."""
        if not self.has_any({Role.ADMIN, Role.DUTY_OFFICER, Role.INTEGRATION}):
            return Department.objects.none()
        return self.departments_worked_on()


def readable_incident(caller: Caller, pk) -> Incident:
    """The incident ``pk`` with its lead department, if the caller may read it; else a 404, as for an id that
    does not exist (``incident_filter``)."""
    return get_object_or_404(Incident.objects.filter(caller.incident_filter()).select_related("department"), pk=pk)


def caller_of(request) -> Caller:
    """The request's caller, computed once per request."""
    caller = getattr(request, "_tracker_caller", None)
    if caller is None or caller.person is not request.user:
        caller = Caller.of(request.user)
        request._tracker_caller = caller
    return caller
