"""The compliance figures of docs/rules.md for a report scope, each computed by aggregate queries.

Definitions (docs/decisions.md, "Compliance figures"):
- response rate: incidents with at least one public response, over incidents;
- time to first public response: from the event clock start to the first public response's
  publication; median and 90th percentile (nearest rank) over the incidents that have one, and the
  shares within 5, 24 and 48 hours over *all* incidents (one with no response is within nothing),
  which is how the 人民网 benchmark counts;
- on-time rate per obligation: met on time, over the obligations that are decided: met (on time or
  late) or past their deadline. Waived ones are counted apart; ones still running are not judged;
- extended obligations (an approved extension moved ``due_at`` and kept ``original_due_at``) are counted
  apart from the others (``extended``, split into met by the extended deadline, missed and running), and
  the on-time rate judges them by their *original* deadline: one met after it is not on time, whatever
  the extension allowed, and one still open past it is decided (it can no longer be on time). So an
  extension is never silently an on-time, and asking for one never improves the rate;
- breaches: obligations met late or still open past their deadline (for an extended one, the extended
  deadline), except those excused by a documented 容错 exemption, which are counted apart
  (``exempted``), as waivers are;
- logging delay: discovery to logging.
"""

from django.db.models import BooleanField, Case, Count, Exists, F, OuterRef, Q, When
from django.db.models.functions import TruncMonth

from incidents.models import AccountabilityFinding, CaseRequest, Obligation, ObligationKind
from opinion_tracker.lib.beijing import BEIJING

from .scope import ReportScope, with_clock_start
from .stats import aggregate_with_durations

RESPONSE_WINDOWS_HOURS = (5, 24, 48)


def share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


EXEMPTED = Exists(
    AccountabilityFinding.objects.filter(obligation=OuterRef("pk"), kind=AccountabilityFinding.Kind.EXEMPTION)
)


def extended(obligations, since=None):
    """The extended ones of ``obligations``: an approved extension moved ``due_at`` and kept the deadline before it
    in ``original_due_at`` (docs/rules.md, "Casework").

    They are found from their approved extension requests, which are few and point at their obligations, so
    the period's obligations are still counted from the report's index alone: asking which of them have an
    ``original_due_at`` would read every one of them (0.12 s → 0.40 s for a year of 660,000 on PostgreSQL).
    Approving an extension is the only way an obligation gets an ``original_due_at`` (obligations are read-only
    in the admin), and both are asked for here. ``since``, the start of the report's period, leaves out the
    requests made before it: an extension is asked for after its incident was discovered.
    """
    approved = CaseRequest.objects.filter(kind=CaseRequest.Kind.EXTENSION, state=CaseRequest.State.APPROVED)
    if since is not None:
        approved = approved.filter(requested_at__gte=since)
    return obligations.filter(original_due_at__isnull=False, pk__in=approved.values("obligation_id"))


def met_after_the_original_deadline() -> Q:
    """Of extended obligations, those met by the extended deadline but after the original one: not on time."""
    return Q(state=Obligation.State.MET, met_at__gt=F("original_due_at"))


def decided_by_the_original_deadline(now) -> Q:
    """Of extended obligations, those open and within the extended deadline whose original deadline has passed:
    they can no longer be on time, so the on-time rate counts them as decided."""
    return Q(state__in=Obligation.OPEN_STATES, due_at__gt=now, original_due_at__lte=now)


def late(now) -> Q:
    """Obligations met late, or still open once their deadline passed (the pass may lag by seconds)."""
    return Q(state__in=[Obligation.State.OVERDUE, Obligation.State.MET_LATE]) | Q(
        state=Obligation.State.PENDING, due_at__lte=now
    )


def breached(now) -> Q:
    """Late obligations, except those excused by a documented 容错 exemption: docs/rules.md reports those apart."""
    return late(now) & ~EXEMPTED


def incident_figures(incidents) -> dict:
    """Response rate, time to first public response and logging delay, in one pass over the incidents.

    Every column it reads is in the index of incidents by discovery, so a period's figures come from that index
    alone; rows are counted by their (never empty) discovery time, since the key is not in it.
    """
    within = {
        f"within_{hours}h": Count("discovered_at", filter=Q(first_response__lte=hours * 3600))
        for hours in RESPONSE_WINDOWS_HOURS
    }
    counts, durations = aggregate_with_durations(
        with_clock_start(incidents),
        {
            "incidents": Count("discovered_at"),
            "responded": Count("discovered_at", filter=Q(first_public_response_at__isnull=False)),
            **within,
        },
        {
            "first_response": ("first_public_response_at", "clock_start"),
            "logging_delay": ("logged_at", "discovered_at"),
        },
    )
    total = counts["incidents"]
    first_response = durations["first_response"]
    for window in within:
        first_response[window] = {"count": counts[window], "share": share(counts[window], total)}
    return {
        "incidents": total,
        "responded": counts["responded"],
        "response_rate": share(counts["responded"], total),
        "first_response": first_response,
        "logging_delay": durations["logging_delay"],
    }


def counted(condition: Q) -> Count:
    """Obligations meeting ``condition``, counted by ``kind``, a column of the report's index: every
    column a count of all the period's obligations reads is in that index, so PostgreSQL answers from the
    index alone (the counts of the few extended ones read their rows)."""
    return Count("kind", filter=condition)


EXTENDED_FIGURES = ("extended", "extended_met", "extended_missed", "extended_running", "extended_on_time")


# The figure each decided state is counted in; an open obligation is ``overdue`` or ``running`` by its deadline.
STATE_FIGURES = {Obligation.State.MET: "met", Obligation.State.MET_LATE: "met_late", Obligation.State.WAIVED: "waived"}
FIGURES = ("met", "met_late", "overdue", "running", "waived")


def state_counts(obligations, now, group: str, **more) -> list[dict]:
    """Per ``group`` (the kind), the obligations of each state, open ones as overdue or running by ``due_at``, and
    ``more`` counts.

    PostgreSQL groups the rows by ``group``, state and whether the deadline has passed, and the groups are folded
    here into figures: grouping costs a tenth less than testing every row for each figure (a province's year of
    3.3 million obligations: 0.43 s against 0.48 s).
    """
    passed = Case(When(due_at__lte=now, then=True), default=False, output_field=BooleanField())
    rows = (
        obligations.annotate(passed=passed)
        .values(group, "state", "passed")
        .annotate(obligations=counted(Q()), **more)
        .order_by()
    )
    figures: dict[str, dict] = {}
    for row in rows:
        counts = figures.setdefault(row[group], {group: row[group], **dict.fromkeys([*FIGURES, *more], 0)})
        if row["state"] in Obligation.OPEN_STATES:
            figure = "overdue" if row["passed"] else "running"
        elif (figure := STATE_FIGURES.get(row["state"])) is None:
            continue  # a state no figure counts (none today), left out as the filtered counts left it out
        counts[figure] += row["obligations"]
        for name in more:
            counts[name] += row[name]
    return list(figures.values())


def obligation_figures(obligations, now, since=None) -> list[dict]:
    """One row per obligation kind, in the order of docs/rules.md: a GROUP BY over the obligations, and one over
    the few extended ones.

    ``met_on_time``, ``met_late``, ``overdue`` and ``running`` count the obligations never extended, as they
    did before extensions existed; ``waived`` counts every waived one (a waiver is never judged). The extended
    ones not waived are counted apart: ``extended``, of which ``extended_met`` (met by the extended deadline),
    ``extended_missed`` (met after it, or open past it: breaches) and ``extended_running`` (open, not yet due);
    and ``extended_on_time``, those met by their *original* deadline. The on-time rate judges an extended
    obligation by its original deadline: on time only when met by it, decided once met or once it has passed.
    So ``on_time_rate`` = (``met_on_time`` + ``extended_on_time``) / ``decided``.
    """
    every = {row["kind"]: row for row in state_counts(obligations, now, "kind")}
    apart = {
        row["kind"]: row
        for row in state_counts(
            extended(obligations, since),
            now,
            "kind",
            on_time=counted(Q(state=Obligation.State.MET, met_at__lte=F("original_due_at"))),
            decided_early=counted(decided_by_the_original_deadline(now)),
        )
    }
    figures = []
    for kind in ObligationKind.values:
        row = every.get(kind)
        if row is None:
            continue
        ext = apart.get(kind, {})
        plain = {name: row[name] - ext.get(name, 0) for name in ("met", "met_late", "overdue", "running")}
        apart_counts = {
            "extended": sum(ext.get(name, 0) for name in ("met", "met_late", "overdue", "running")),
            "extended_met": ext.get("met", 0),
            "extended_missed": ext.get("met_late", 0) + ext.get("overdue", 0),
            "extended_running": ext.get("running", 0),
            "extended_on_time": ext.get("on_time", 0),
        }
        decided = (
            plain["met"]
            + plain["met_late"]
            + plain["overdue"]
            + apart_counts["extended_met"]
            + apart_counts["extended_missed"]
            + ext.get("decided_early", 0)
        )
        figures.append(
            {
                "kind": kind,
                "decided": decided,
                "met_on_time": plain["met"],
                "met_late": plain["met_late"],
                "overdue": plain["overdue"],
                "running": plain["running"],
                "waived": row["waived"],
                "on_time_rate": share(plain["met"] + apart_counts["extended_on_time"], decided),
                **apart_counts,
            }
        )
    return figures


def extension_figures(per_kind: list[dict]) -> dict:
    """The extended obligations in total, and per kind (the kinds and order of ``obligations``)."""
    return {
        **{name: sum(row[name] for row in per_kind) for name in EXTENDED_FIGURES},
        "extended_by_kind": [
            {"kind": row["kind"], **{name: row[name] for name in EXTENDED_FIGURES}} for row in per_kind
        ],
    }


def accountability_figures(obligations, per_kind: list[dict], now) -> dict:
    """Breaches, waivers and findings. The late and waived come from the per-kind figures; only the
    findings are read again, and there are few of them."""
    findings = AccountabilityFinding.objects.filter(obligation__in=obligations)
    by_kind = dict(findings.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n"))
    exempted = (
        Obligation.objects.filter(findings__in=findings.filter(kind=AccountabilityFinding.Kind.EXEMPTION))
        .filter(late(now))
        .distinct()
        .count()
    )
    late_count = sum(row["met_late"] + row["overdue"] + row["extended_missed"] for row in per_kind)
    return {
        "breach_count": late_count - exempted,
        "exempted": exempted,
        "waived": sum(row["waived"] for row in per_kind),
        "findings": {kind: by_kind.get(kind, 0) for kind in AccountabilityFinding.Kind.values},
    }


def compliance_figures(scope: ReportScope, now) -> dict:
    """Every figure of the report for ``scope``, as of ``now`` (deadlines still running are not judged)."""
    return report_figures(scope, obligation_side(scope, now), incident_figures(scope.incidents()))


def obligation_side(scope: ReportScope, now) -> dict:
    """The figures read from the obligations of ``scope``: per kind, extensions, accountability. The incidents'
    (``incident_figures``) are independent of them, so a report can read the two at once (``compliance_report``)."""
    per_kind = obligation_figures(scope.obligations(), now, since=scope.starts_at)
    return {
        "obligations": per_kind,
        **extension_figures(per_kind),
        **accountability_figures(scope.obligations(), per_kind, now),
    }


def report_figures(scope: ReportScope, obligations: dict, incidents: dict) -> dict:
    """The report's figures for ``scope`` from its two independent sides, in the order the API gives them."""
    return {"start": scope.start, "end": scope.end, "severity": scope.severity, **incidents, **obligations}


def monthly_figures(scope: ReportScope, now) -> list[dict]:
    """Per Beijing month of discovery: incidents, and the on-time rate of the decided obligations (extended
    ones judged by their original deadline, as in ``obligation_figures``)."""
    state = Obligation.State
    incidents = (
        scope.incidents()
        .annotate(month=TruncMonth("discovered_at", tzinfo=BEIJING))
        .values("month")
        .annotate(incidents=Count("pk"))
    )
    by_month = TruncMonth("incident_discovered_at", tzinfo=BEIJING)
    obligations = (
        scope.obligations()
        .annotate(month=by_month)
        .values("month")
        .annotate(
            met_on_time=counted(Q(state=state.MET)),
            decided=counted(
                Q(state__in=[state.MET, state.MET_LATE]) | Q(state__in=Obligation.OPEN_STATES, due_at__lte=now)
            ),
        )
    )
    corrections = (
        extended(scope.obligations(), since=scope.starts_at)
        .annotate(month=by_month)
        .values("month")
        .annotate(
            not_on_time=counted(met_after_the_original_deadline()),
            decided_early=counted(decided_by_the_original_deadline(now)),
        )
    )
    apart = {row["month"]: row for row in corrections}
    rates = {}
    for row in obligations:
        ext = apart.get(row["month"], {})
        on_time = row["met_on_time"] - ext.get("not_on_time", 0)
        rates[row["month"]] = share(on_time, row["decided"] + ext.get("decided_early", 0))
    return [
        {"month": row["month"].date(), "incidents": row["incidents"], "on_time_rate": rates.get(row["month"])}
        for row in sorted(incidents, key=lambda row: row["month"])
    ]
