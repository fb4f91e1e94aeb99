"""The compliance report as the API and the web page both give it: the scope a query asks for, the
figures, the time statements spent in review, and the latest breaches with who was told when."""

from incidents.access import Caller, scope_ids
from incidents.models import Role
from incidents.reports.compliance import incident_figures, obligation_side, report_figures
from incidents.reports.scope import ReportScope
from opinion_tracker.lib.snapshot import in_one_snapshot
from statements.review_time import review_time

from .breaches import breaches

REPORT_READERS = frozenset({Role.AUDITOR, Role.ADMIN})
BREACHES_IN_REPORT = 100


def report_scope(query: dict, caller: Caller) -> ReportScope:
    """The scope of a validated report query (``ReportQuery``), within what ``caller`` may see."""
    department = query.get("department")
    if department is None:
        ids = None
    elif query["include_children"]:
        ids = scope_ids(department)
    else:
        ids = frozenset({department})
    return ReportScope(
        query["start"],
        query["end"],
        department_ids=ids,
        severity=query.get("severity") or None,
        visible=caller.scope_filter("department"),
    )


def compliance_report(scope: ReportScope, now, *, at_once: bool = True) -> dict:
    """The figures, time in review (the statements app's), and the first ``BREACHES_IN_REPORT`` breaches
    (``breaches_complete``: that is all). Assembled here, where every app is visible, so incidents' figures
    never reach up to statements.

    Read in one snapshot (``in_one_snapshot``), so that its figures, time in review and breaches agree as of one
    moment while incidents are being logged. ``at_once``, for a person waiting: the incidents' aggregate on a
    connection of its own beside the rest. A scheduled report's words, which nobody waits on, keep to their
    worker's one connection.
    """

    def everything_but_the_incidents() -> tuple[dict, dict, list]:
        listed = list(breaches(scope.obligations(), now)[: BREACHES_IN_REPORT + 1])
        return obligation_side(scope, now), review_time(scope), listed

    (obligations, in_review, listed), incidents = in_one_snapshot(
        everything_but_the_incidents, lambda: incident_figures(scope.incidents()), at_once=at_once
    )
    return {
        **report_figures(scope, obligations, incidents),
        "review_time": in_review,
        "breaches": listed[:BREACHES_IN_REPORT],
        "breaches_complete": len(listed) <= BREACHES_IN_REPORT,
    }
