"""The compliance report as the API and the web page both give it: the scope a query asks for, the
figures, the time statements spent in review, and the latest breaches with who was told when."""

from incidents.access import Caller, scope_ids
from incidents.models import Role
from incidents.reports.compliance import compliance_figures
from incidents.reports.scope import ReportScope
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


def compliance_report(scope: ReportScope, now) -> dict:
    """The figures, time in review (the statements app's), and the first ``BREACHES_IN_REPORT`` breaches
    (``breaches_complete``: that is all). Assembled here, where every app is visible, so incidents' figures
    never reach up to statements."""
    listed = list(breaches(scope.obligations(), now)[: BREACHES_IN_REPORT + 1])
    return {
        **compliance_figures(scope, now, concurrently=True),
        "review_time": review_time(scope),
        "breaches": listed[:BREACHES_IN_REPORT],
        "breaches_complete": len(listed) <= BREACHES_IN_REPORT,
    }
