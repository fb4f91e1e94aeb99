"""Nearest-rank percentiles of durations, computed by the database where it can.

PostgreSQL has ``percentile_disc``, which is the nearest-rank percentile: the smallest value whose
cumulative share reaches the fraction. SQLite has no ordered-set aggregates, so there the durations
are fetched, sorted and ranked the same way (the embedded default holds small ledgers).

Durations are ranked as seconds (a float, to the microsecond), not as intervals: the order is the same, and
PostgreSQL sorts a million floats in about half the time it sorts a million intervals (docs/benchmarks.md, "A
province"). Figures are whole seconds, rounded once at the end.
"""

import math
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Aggregate, DurationField, ExpressionWrapper, F, FloatField, Func, Max

# Sort memory for one aggregate, for each of its sorts (one per duration): ranking a province's year (a million
# durations, twice) in memory instead of spilling it to disk. Set for that statement only (``sort_memory``).
SORT_MEMORY = "64MB"


class Seconds(Func):
    """A duration in seconds, as PostgreSQL's ``date_part('epoch', …)`` gives it: a float (``EXTRACT`` gives a numeric
    since PostgreSQL 14)."""

    template = "date_part('epoch', %(expressions)s)"
    output_field = FloatField()


class PercentileDisc(Aggregate):
    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def nearest_rank(sorted_values: list, fraction: float):
    """The value at rank ⌈fraction·n⌉ (1-based) of ``sorted_values``; None when there are none."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def aggregate_with_durations(queryset, counts: dict, durations: dict[str, tuple[str, str]]) -> tuple[dict, dict]:
    """``counts`` (aggregates) and, for each named duration ``later - earlier``, its median, 90th
    percentile and maximum in seconds (None where no row has both times), in one pass over ``queryset``.

    On PostgreSQL this is a single aggregate query: ordered-set aggregates skip the NULL durations of
    rows missing a time, so each percentile ranks only the rows that have one.
    """
    expressions = {
        name: ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())
        for name, (later, earlier) in durations.items()
    }
    if connection.vendor == "postgresql":
        aggregates = dict(counts)
        for name, duration in expressions.items():
            aggregates[f"{name}:median"] = PercentileDisc(Seconds(duration), 0.5)
            aggregates[f"{name}:p90"] = PercentileDisc(Seconds(duration), 0.9)
            aggregates[f"{name}:max"] = Max(Seconds(duration))
        with sort_memory():
            totals = queryset.aggregate(**aggregates)
        figures = {name: [totals[f"{name}:{figure}"] for figure in ("median", "p90", "max")] for name in expressions}
    else:
        totals = queryset.aggregate(**counts)
        rows = list(queryset.annotate(**expressions).values_list(*expressions))
        figures = {}
        for column, name in enumerate(expressions):
            values = sorted(row[column].total_seconds() for row in rows if row[column] is not None)
            figures[name] = [nearest_rank(values, 0.5), nearest_rank(values, 0.9), values[-1] if values else None]
    stats = {
        name: {"median_seconds": seconds(median), "p90_seconds": seconds(p90), "max_seconds": seconds(longest)}
        for name, (median, p90, longest) in figures.items()
    }
    return {key: totals[key] for key in counts}, stats


@contextmanager
def sort_memory():
    """``SORT_MEMORY`` as ``work_mem`` for what runs within, and the setting before it again afterwards.

    Set transaction-locally (``set_config(…, true)``, which a pooler in transaction mode allows) in a transaction or
    savepoint of its own; put back explicitly at the end, since a savepoint released within a caller's transaction
    would keep it until that transaction ends. If what runs within fails, rolling the savepoint back puts it back.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('work_mem'), set_config('work_mem', %s, true)", [SORT_MEMORY])
        before = cursor.fetchone()[0]
        yield
        cursor.execute("SELECT set_config('work_mem', %s, true)", [before])


def seconds(value: float | None) -> int | None:
    return None if value is None else round(value)
