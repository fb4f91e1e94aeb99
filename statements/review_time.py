"""Time in review for the compliance report: from a draft's first version to its first sign-off, over the
drafts of the incidents a report covers (docs/rules.md, "Statements")."""

from django.db.models import Count, Q

from incidents.reports.scope import ReportScope
from incidents.reports.stats import aggregate_with_durations

from .models import Draft


def review_time(scope: ReportScope) -> dict:
    """``drafts`` signed off, their median and 90th-percentile seconds from first draft to sign-off, and how
    many holding statements were signed off without their gates (``gates_skipped``)."""
    drafts = Draft.objects.filter(incident__in=scope.incidents(), first_signed_off_at__isnull=False)
    counts, durations = aggregate_with_durations(
        drafts,
        {"drafts": Count("pk"), "gates_skipped": Count("pk", filter=Q(skipped_gates=True))},
        {"review": ("first_signed_off_at", "created_at")},
    )
    review = durations["review"]
    return {**counts, "median_seconds": review["median_seconds"], "p90_seconds": review["p90_seconds"]}
