"""Nearest-rank percentiles of durations, computed by the database where it can.

PostgreSQL has ``percentile_disc``, which is the nearest-rank percentile: the smallest value whose
cumulative share reaches the fraction. SQLite has no ordered-set aggregates, so there the durations
are fetched, sorted and ranked the same way (the embedded default holds small ledgers).

Figures are whole seconds. PostgreSQL ranks the durations as whole seconds (``WholeSeconds``), which gives the
same figures as ranking them to the microsecond and rounding the result, as SQLite's path does: rounding keeps the
order, so the value at a rank of the rounded durations is the rounded value at that rank; and PostgreSQL sorts
integers faster than floats, and floats in half the time of intervals (docs/benchmarks.md, "A province").
"""

import math
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Aggregate, BigIntegerField, DurationField, ExpressionWrapper, F, FloatField, Func, Max

# Sort memory for one aggregate, for each of its sorts (one per duration): ranking a province's year (a million
# durations, twice) in memory instead of spilling it to disk. Set for that statement only (``sort_memory``).
SORT_MEMORY = "64MB"
EVERY_ROW = 2**63 - 1  # PostgreSQL's largest LIMIT (see ``aggregate_with_durations``)


class Seconds(Func):
    """A duration in seconds, as PostgreSQL's ``date_part('epoch', …)`` gives it: a float (``EXTRACT`` gives a numeric
    since PostgreSQL 14). SQLite keeps a duration as microseconds."""

    template = "date_part('epoch', %(expressions)s)"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="(%(expressions)s / 1000000.0)", **extra_context)


class WholeSeconds(Func):
    """Seconds rounded to whole ones, half to even as Python's ``round`` (PostgreSQL's cast from a float rounds with
    ``rint``): a figure is whole seconds, and PostgreSQL sorts a million integers faster than a million floats."""

    template = "(%(expressions)s)::bigint"
    output_field = BigIntegerField()


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
    ``counts`` may name a duration, in seconds: ``Count("pk", filter=Q(review__lte=3600))``.

    On PostgreSQL this is a single aggregate query: ordered-set aggregates skip the NULL durations of
    rows missing a time, so each percentile ranks only the rows that have one. The aggregates read the rows from a
    subquery that computes each duration once: in one flat statement PostgreSQL computes a duration again for
    every aggregate that names it (a province's year, 1.27 s → 0.86 s: docs/benchmarks.md, "A province").
    The rows are sliced to ``EVERY_ROW`` only so that Django aggregates over them as a subquery, and a subquery
    with a ``LIMIT`` is one PostgreSQL does not flatten back.
    """
    rows = queryset.annotate(
        **{
            name: Seconds(ExpressionWrapper(F(later) - F(earlier), output_field=DurationField()))
            for name, (later, earlier) in durations.items()
        }
    ).order_by()
    if connection.vendor == "postgresql":
        aggregates = dict(counts)
        for name in durations:
            aggregates[f"{name}:median"] = PercentileDisc(WholeSeconds(name), 0.5)
            aggregates[f"{name}:p90"] = PercentileDisc(WholeSeconds(name), 0.9)
            aggregates[f"{name}:max"] = Max(name)
        with sort_memory():
            totals = rows[:EVERY_ROW].aggregate(**aggregates)
        figures = {name: [totals[f"{name}:{figure}"] for figure in ("median", "p90", "max")] for name in durations}
    else:
        totals = rows.aggregate(**counts)
        values = list(rows.values_list(*durations))
        figures = {}
        for column, name in enumerate(durations):
            ranked = sorted(row[column] for row in values if row[column] is not None)
            figures[name] = [nearest_rank(ranked, 0.5), nearest_rank(ranked, 0.9), ranked[-1] if ranked else None]
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
