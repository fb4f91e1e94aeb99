"""Nearest-rank percentiles of durations, computed by the database where it can.

PostgreSQL has ``percentile_disc``, which is the nearest-rank percentile: the smallest value whose
cumulative share reaches the fraction. SQLite has no ordered-set aggregates, so there the durations
are fetched, sorted and ranked the same way (the embedded default holds small ledgers).
"""

import math
from datetime import timedelta

from django.db import connection
from django.db.models import Aggregate, DurationField, ExpressionWrapper, F, Max


class PercentileDisc(Aggregate):
    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def nearest_rank(sorted_values: list, fraction: float):
    """The value at rank ⌈fraction·n⌉ (1-based) of ``sorted_values``; None when there are none."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def duration_stats(queryset, later: str, earlier: str) -> dict:
    """Median, 90th percentile and maximum of ``later - earlier`` over ``queryset`` (rows where both are set).

    Returns seconds (None when no row has both times).
    """
    rows = queryset.filter(**{f"{later}__isnull": False, f"{earlier}__isnull": False})
    duration = ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())
    if connection.vendor == "postgresql":
        figures = rows.aggregate(
            median=PercentileDisc(duration, 0.5), p90=PercentileDisc(duration, 0.9), longest=Max(duration)
        )
    else:
        values = sorted(rows.annotate(duration=duration).values_list("duration", flat=True))
        figures = {
            "median": nearest_rank(values, 0.5),
            "p90": nearest_rank(values, 0.9),
            "longest": values[-1] if values else None,
        }
    return {
        "median_seconds": seconds(figures["median"]),
        "p90_seconds": seconds(figures["p90"]),
        "max_seconds": seconds(figures["longest"]),
    }


def seconds(value: timedelta | None) -> int | None:
    return None if value is None else round(value.total_seconds())
