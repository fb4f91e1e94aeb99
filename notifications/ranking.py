"""Rankings (考核): every department of a government side by side for a period, scored by the government's scoring
rule and ranked, with how soon their people acknowledged what they were told (docs/rules.md, "Rankings").

- The departments ranked are those directly under the government that are not governments themselves, each with
  its sub-departments down to (not into) any lower government, which is ranked in its own government's ranking.
- Their figures are the compliance report's (``compliance_figures``) for each department's scope: the same
  definitions, the same numbers as the 合规统计 page filtered to that department. The report computes one scope at
  a time, so a ranking costs that report's queries once per department (5 on PostgreSQL, 6 on SQLite, each on the
  period's index narrowed to the department's incidents) and 7 besides, for all departments at once: the rule and its
  weights and deductions, the organisation, the breaches by severity and obligation, the escalation entries and the
  leaders among those told; plus one per level above the government. A city of 40 departments is about 210 small
  queries.
- The score (``score_of``): full marks times the weighted mean of the figures the department has (a figure without
  a value, such as the on-time rate of an obligation it never owed, is left out and the other weights share its
  part; with no figure at all, full marks), less the rule's points per breach by the incident's severity and the
  obligation, per 通报批评 and per 约谈整改 recorded, plus its credit per breach excused by 容错免责 (the on-time rate
  still counts that obligation as late: the figure is a fact, the credit is the rule's), kept between 0 and full
  marks and rounded to the hundredth.
- Ranks are standard competition ranks (1, 2, 2, 4) of the rounded scores; equal scores are listed by name.
- Time to acknowledge: for each escalation entry of a department's incidents in the period addressed to one of that
  department's people, from the entry's first message (its earliest copy's ``created_at``, the moment the tracker
  recorded it and the inbox showed it) to ``acknowledged_at``; the median (nearest rank) over the acknowledged
  ones, for the department and for each of its people with the leader role. People of other departments told
  about its incidents (the office, the government's leaders) are not the department's to answer for.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce

from incidents.access import Caller
from incidents.models import Department, ObligationKind, Person, Role, Severity
from incidents.models.organisation import walk_up
from incidents.reports.compliance import breached, compliance_figures
from incidents.reports.scope import ReportScope
from incidents.reports.stats import nearest_rank
from incidents.services.deadlines import nearest_first
from opinion_tracker.lib.snapshot import one_snapshot

from .breaches import breaches
from .models import EscalationEntry, Scoring, ScoringRule
from .models.scoring import ON_TIME, RESPONSE_RATE, WITHIN

HUNDREDTH = Decimal("0.01")


def default_government(caller: Caller) -> Department | None:
    """The government a ranking is of when none is named: the one whose office the caller works in, or for those
    who see everything the only government at the top of the tree; ``None`` when that is not one government."""
    if caller.office_of:
        candidates = list(caller.office_of)
    elif caller.sees_everything:
        candidates = topmost_governments()
    else:
        return None
    return Department.objects.get(pk=candidates[0]) if len(candidates) == 1 else None


def topmost_governments() -> list[int]:
    """The governments with no government above them (the tree read in one query)."""
    tree = {
        pk: (parent, is_government)
        for pk, parent, is_government in Department.objects.values_list("pk", "parent_id", "is_government")
    }
    return [
        pk
        for pk, (parent, is_government) in tree.items()
        if is_government and not any(tree[above][1] for above in walk_up(parent, lambda d: tree[d][0]))
    ]


def scoring_for(government: Department) -> Scoring:
    """The rule in force for ``government``: its own, else the nearest government's above it, else the national
    one (``GovernmentRules``)."""
    return scoring_of([g.pk for g in government.governments()])


def scoring_of(government_ids: list[int]) -> Scoring:
    """The rule of the first of ``government_ids`` (nearest first) that has one, else the national rule, else the
    documented defaults (a database whose national row was removed)."""
    rows = ScoringRule.objects.filter(Q(government__isnull=True) | Q(government__in=government_ids))
    rows = rows.select_related("government").prefetch_related("weights", "deductions")
    nearest = next(iter(nearest_first(rows, government_ids)), None)
    return nearest.scoring() if nearest is not None else Scoring.defaults()


def ranked_departments(government: Department) -> dict[Department, frozenset[int]]:
    """The departments directly under ``government`` that are not governments, each with its subtree cut at lower
    governments, in the order of their codes (the organisation is read in one query)."""
    children: dict[int, list[Department]] = defaultdict(list)
    for department in Department.objects.order_by("code"):
        children[department.parent_id].append(department)

    def subtree(root: Department) -> frozenset[int]:
        found, todo = {root.pk}, [root.pk]
        while todo:
            for child in children[todo.pop()]:
                if not child.is_government and child.pk not in found:
                    found.add(child.pk)
                    todo.append(child.pk)
        return frozenset(found)

    return {unit: subtree(unit) for unit in children[government.pk] if not unit.is_government}


@dataclass(frozen=True)
class Acknowledgement:
    """How soon someone (a department's people, or one leader) acknowledged their escalation entries."""

    entries: int
    acknowledged: int
    median_seconds: int | None


@dataclass(frozen=True)
class LeaderAcknowledgement:
    person: Person
    times: Acknowledgement


@dataclass(frozen=True)
class ScoreParts:
    """The score's terms, each rounded to the hundredth for showing (the score is rounded once, from the exact
    terms)."""

    weighted: Decimal
    breach_deduction: Decimal
    findings_deduction: Decimal
    exemption_credit: Decimal


@dataclass
class Standing:
    """One department's line of the ranking."""

    department: Department
    figures: dict  # compliance_figures of the department's scope
    breaches: dict[tuple[str, str], int]  # (incident severity, obligation kind) → breaches
    score: Decimal
    parts: ScoreParts
    acknowledgement: Acknowledgement
    leaders: list[LeaderAcknowledgement]
    rank: int = 0
    below_threshold: bool = False

    @property
    def breach_rows(self) -> list[tuple[str, str, int]]:
        """(severity, kind, breaches), gravest severity first, kinds in the order of docs/rules.md."""
        order = {key: (Severity.values.index(key[0]), ObligationKind.values.index(key[1])) for key in self.breaches}
        return [(*key, self.breaches[key]) for key in sorted(self.breaches, key=order.get)]


@dataclass
class Ranking:
    government: Department
    start: date
    end: date
    now: datetime
    scoring: Scoring
    standings: list[Standing]  # in rank order
    subtrees: dict[int, frozenset[int]]  # each ranked department's id → the departments it answers for

    @property
    def named(self) -> list[Standing]:
        """The departments below the threshold: those the 通报 names, lowest rank last."""
        return [standing for standing in self.standings if standing.below_threshold]

    def breaches_of_named(self) -> list[tuple[Standing, list]]:
        """Each named department with its breaches (who was told, the findings), in one query and its prefetches."""
        named = self.named
        if not named:
            return []
        ids = frozenset().union(*(self.subtrees[standing.department.pk] for standing in named))
        owner = {pk: unit for unit, subtree in self.subtrees.items() for pk in subtree}
        found: dict[int, list] = defaultdict(list)
        for obligation in breaches(ReportScope(self.start, self.end, department_ids=ids).obligations(), self.now):
            found[owner[obligation.incident.department_id]].append(obligation)
        return [(standing, found[standing.department.pk]) for standing in named]


def ranking(government: Department, start: date, end: date, now: datetime) -> Ranking:
    """The ranking of ``government``'s departments for the Beijing dates ``start`` to ``end`` (inclusive), as of
    ``now``. Whoever asks must be allowed the whole government (``Caller.oversight_scope``): its departments' figures
    are read unrestricted."""
    with one_snapshot():  # thirty departments' figures, as of one moment
        scoring = scoring_for(government)
        units = ranked_departments(government)
        subtrees = {unit.pk: ids for unit, ids in units.items()}
        everything = ReportScope(start, end, department_ids=frozenset().union(*subtrees.values()))
        owner = {pk: unit for unit, subtree in subtrees.items() for pk in subtree}
        breach_counts = breaches_by_severity_and_kind(everything, owner, now)
        times = acknowledgement_times(everything, owner)
        standings = []
        for unit, ids in units.items():
            figures = compliance_figures(ReportScope(start, end, department_ids=ids), now)
            score, parts = score_of(figures, breach_counts[unit.pk], scoring)
            acknowledgement, leaders = times.get(unit.pk, (Acknowledgement(0, 0, None), []))
            standings.append(
                Standing(unit, figures, dict(breach_counts[unit.pk]), score, parts, acknowledgement, leaders)
            )
    rank_in_order(standings, scoring.notice_threshold)
    return Ranking(government, start, end, now, scoring, standings, subtrees)


def breaches_by_severity_and_kind(scope: ReportScope, owner: dict[int, int], now) -> dict[int, dict]:
    """Per ranked department, its breaches (the report's ``breached``) counted by severity and obligation kind."""
    counts: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    rows = (
        scope.obligations()
        .filter(breached(now))
        .values_list("incident__department_id", "incident__severity", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for department_id, severity, kind, n in rows:
        counts[owner[department_id]][(severity, kind)] += n
    return counts


def acknowledgement_times(scope: ReportScope, owner: dict[int, int]) -> dict[int, tuple]:
    """Per ranked department, its people's time to acknowledge and each of its leaders' (module docstring)."""
    entries = (
        EscalationEntry.objects.filter(obligation__in=scope.obligations(), recipient__department__in=list(owner))
        .annotate(first_told=Coalesce(Min("notifications__created_at"), "created_at"))
        .values_list(
            "obligation__incident__department_id",
            "recipient__department_id",
            "recipient_id",
            "acknowledged_at",
            "first_told",
        )
    )
    by_unit: dict[int, list] = defaultdict(list)
    by_person: dict[tuple[int, int], list] = defaultdict(list)
    for incident_department, recipient_department, recipient, acknowledged_at, first_told in entries:
        unit = owner[incident_department]
        if owner[recipient_department] != unit:
            continue
        seconds = None if acknowledged_at is None else max(0, round((acknowledged_at - first_told).total_seconds()))
        by_unit[unit].append(seconds)
        by_person[(unit, recipient)].append(seconds)
    leaders = Person.objects.filter(pk__in={person for _unit, person in by_person}, groups__name=Role.LEADER)
    leaders = {person.pk: person for person in sorted(leaders, key=lambda person: (str(person), person.pk))}
    found = {}
    for unit, times in by_unit.items():
        theirs = [
            LeaderAcknowledgement(leaders[person], summarised(by_person[(unit, person)]))
            for person in leaders
            if (unit, person) in by_person
        ]
        found[unit] = (summarised(times), theirs)
    return found


def summarised(times: list[int | None]) -> Acknowledgement:
    acknowledged = sorted(seconds for seconds in times if seconds is not None)
    return Acknowledgement(len(times), len(acknowledged), nearest_rank(acknowledged, 0.5))


def figure_values(figures: dict) -> dict[str, Decimal | None]:
    """The figures a rule may weigh, as the report gives them (rates to four decimals; ``None``: no value)."""
    values = {RESPONSE_RATE: figures["response_rate"]}
    for hours, code in WITHIN.items():
        values[code] = figures["first_response"][f"within_{hours}h"]["share"] if figures["incidents"] else None
    for row in figures["obligations"]:
        values[f"{ON_TIME}{row['kind']}"] = row["on_time_rate"]
    return {code: None if value is None else Decimal(str(value)) for code, value in values.items()}


def score_of(figures: dict, breach_counts: dict[tuple[str, str], int], scoring: Scoring) -> tuple[Decimal, ScoreParts]:
    """A department's score under ``scoring`` and its terms (module docstring)."""
    weighed = {
        code: value
        for code, value in figure_values(figures).items()
        if value is not None and scoring.weights.get(code, 0) > 0
    }
    total_weight = sum(scoring.weights[code] for code in weighed)
    if total_weight:
        weighted = scoring.full_marks * sum(scoring.weights[code] * value for code, value in weighed.items())
        weighted /= total_weight
    else:
        weighted = scoring.full_marks
    breach = sum((n * scoring.deductions.get(key, Decimal(0)) for key, n in breach_counts.items()), Decimal(0))
    findings = figures["findings"]
    found = findings["criticism"] * scoring.criticism_deduction + findings["interview"] * scoring.interview_deduction
    credit = figures["exempted"] * scoring.exemption_credit
    score = min(scoring.full_marks, max(Decimal(0), weighted - breach - found + credit))
    parts = ScoreParts(*(rounded(term) for term in (weighted, breach, found, credit)))
    return rounded(score), parts


def plain(value: Decimal) -> str:
    """A rule's number as people write it: 100, 60.5 (never 1E+2)."""
    return format(value.normalize(), "f")


def rounded(value: Decimal) -> Decimal:
    return Decimal(value).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def rank_in_order(standings: list[Standing], threshold: Decimal) -> None:
    """Sort by score (highest first), then name; give standard competition ranks (1, 2, 2, 4); mark those below
    ``threshold``."""
    standings.sort(key=lambda standing: (-standing.score, standing.department.name, standing.department.code))
    for position, standing in enumerate(standings, 1):
        previous = standings[position - 2] if position > 1 else None
        standing.rank = previous.rank if previous and previous.score == standing.score else position
        standing.below_threshold = standing.score < threshold
