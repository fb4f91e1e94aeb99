"""The compliance figures of docs/rules.md for a report scope, each computed by aggregate queries.

Definitions (docs/decisions.md, "Compliance figures"):
- response rate: incidents with at least one public response, over incidents;
- time to first public response: from the event clock start to the first public response's
  publication; median and 90th percentile (nearest rank) over the incidents that have one, and the
  shares within 5, 24 and 48 hours over *all* incidents (one with no response is within nothing),
  which is how the 人民网 benchmark counts;
- on-time rate per obligation: met on time, over the obligations that are decided: met (on time or
  late) or past their deadline. Waived ones are counted apart; ones still running are not judged;
- breaches: obligations met late or still open past their deadline, except those excused by a
  documented 容错 exemption, which are counted apart (``exempted``), as waivers are;
- logging delay: discovery to logging.
"""

from datetime import timedelta

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import TruncMonth

from incidents.models import AccountabilityFinding, Obligation, ObligationKind
from opinion_tracker.lib.beijing import BEIJING

from .scope import ReportScope, with_clock_start
from .stats import aggregate_with_durations

RESPONSE_WINDOWS_HOURS = (5, 24, 48)


def share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


EXEMPTED = Exists(
    AccountabilityFinding.objects.filter(obligation=OuterRef("pk"), kind=AccountabilityFinding.Kind.EXEMPTION)
)


def late(now) -> Q:
    """Obligations met late, or still open once their deadline passed (the pass may lag by seconds)."""
    return Q(state__in=[Obligation.State.OVERDUE, Obligation.State.MET_LATE]) | Q(
        state=Obligation.State.PENDING, due_at__lte=now
    )


def breached(now) -> Q:
    """Late obligations, except those excused by a documented 容错 exemption: docs/rules.md reports those apart."""
    return late(now) & ~EXEMPTED


def incident_figures(incidents) -> dict:
    """Response rate, time to first public response and logging delay, in one pass over the incidents."""
    within = {
        f"within_{hours}h": Count(
            "pk",
            filter=Q(
                first_public_response_at__lte=ExpressionWrapper(
                    F("clock_start") + timedelta(hours=hours), output_field=DateTimeField()
                )
            ),
        )
        for hours in RESPONSE_WINDOWS_HOURS
    }
    counts, durations = aggregate_with_durations(
        with_clock_start(incidents),
        {
            "incidents": Count("pk"),
            "responded": Count("pk", filter=Q(first_public_response_at__isnull=False)),
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
    column a count reads is in that index, so PostgreSQL answers from the index alone."""
    return Count("kind", filter=condition)


def obligation_figures(obligations, now) -> list[dict]:
    """One row per obligation kind, in the order of docs/rules.md, from one GROUP BY over the obligations."""
    state = Obligation.State
    rows = obligations.values("kind").annotate(
        met_on_time=counted(Q(state=state.MET)),
        met_late=counted(Q(state=state.MET_LATE)),
        overdue=counted(Q(state__in=Obligation.OPEN_STATES, due_at__lte=now)),
        running=counted(Q(state__in=Obligation.OPEN_STATES, due_at__gt=now)),
        waived=counted(Q(state=state.WAIVED)),
    )
    by_kind = {row["kind"]: row for row in rows}
    figures = []
    for kind in ObligationKind.values:
        row = by_kind.get(kind)
        if row is None:
            continue
        decided = row["met_on_time"] + row["met_late"] + row["overdue"]
        figures.append(
            {
                "kind": kind,
                "decided": decided,
                "met_on_time": row["met_on_time"],
                "met_late": row["met_late"],
                "overdue": row["overdue"],
                "running": row["running"],
                "waived": row["waived"],
                "on_time_rate": share(row["met_on_time"], decided),
            }
        )
    return figures


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
    late_count = sum(row["met_late"] + row["overdue"] for row in per_kind)
    return {
        "breach_count": late_count - exempted,
        "exempted": exempted,
        "waived": sum(row["waived"] for row in per_kind),
        "findings": {kind: by_kind.get(kind, 0) for kind in AccountabilityFinding.Kind.values},
    }


def compliance_figures(scope: ReportScope, now) -> dict:
    """Every figure of the report for ``scope``, as of ``now`` (deadlines still running are not judged)."""
    per_kind = obligation_figures(scope.obligations(), now)
    return {
        "start": scope.start,
        "end": scope.end,
        "severity": scope.severity,
        **incident_figures(scope.incidents()),
        "obligations": per_kind,
        **accountability_figures(scope.obligations(), per_kind, now),
    }


def monthly_figures(scope: ReportScope, now) -> list[dict]:
    """Per Beijing month of discovery: incidents, and the on-time rate of the decided obligations."""
    state = Obligation.State
    incidents = (
        scope.incidents()
        .annotate(month=TruncMonth("discovered_at", tzinfo=BEIJING))
        .values("month")
        .annotate(incidents=Count("pk"))
    )
    obligations = (
        scope.obligations()
        .annotate(month=TruncMonth("incident_discovered_at", tzinfo=BEIJING))
        .values("month")
        .annotate(
            met_on_time=counted(Q(state=state.MET)),
            decided=counted(
                Q(state__in=[state.MET, state.MET_LATE]) | Q(state__in=Obligation.OPEN_STATES, due_at__lte=now)
            ),
        )
    )
    rates = {row["month"]: share(row["met_on_time"], row["decided"]) for row in obligations}
    return [
        {"month": row["month"].date(), "incidents": row["incidents"], "on_time_rate": rates.get(row["month"])}
        for row in sorted(incidents, key=lambda row: row["month"])
    ]
