"""Charts of the compliance figures as plain SVG geometry, drawn by templates: no script and no asset
from elsewhere, and the labels are text in the page's language (Chinese by default)."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from incidents.models import ObligationKind

# The drawing's units (its viewBox): labels on the left, bars after them, the value after each bar.
WIDTH, ROW, LABEL_WIDTH, BAR_SPACE = 400, 24, 150, 190


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    share: float  # the bar's length as a fraction of the longest possible

    @property
    def length(self) -> float:
        return round(max(0.0, min(1.0, self.share)) * BAR_SPACE, 1)

    @property
    def value_at(self) -> float:
        return LABEL_WIDTH + self.length + 6


@dataclass(frozen=True)
class Chart:
    caption: str
    bars: list[Bar]

    @property
    def rows(self) -> list[tuple[int, Bar]]:
        """Each bar with the top of its row."""
        return [(index * ROW, bar) for index, bar in enumerate(self.bars)]

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * ROW


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def on_time_chart(obligations: list[dict]) -> Chart:
    """On-time rate per obligation kind (of the decided ones)."""
    names = dict(ObligationKind.choices)
    bars = [Bar(str(names[row["kind"]]), percent(row["on_time_rate"]), row["on_time_rate"] or 0) for row in obligations]
    return Chart(_("On-time rate by obligation"), bars)


def first_response_chart(figures: dict) -> Chart:
    """How long incidents waited for their first public response: within 5 h, 5–24 h, 24–48 h, later, never."""
    first = figures["first_response"]
    within = [first[f"within_{hours}h"]["count"] for hours in (5, 24, 48)]
    counts = [
        (_("within 5 h"), within[0]),
        (_("5 to 24 h"), within[1] - within[0]),
        (_("24 to 48 h"), within[2] - within[1]),
        (_("after 48 h"), figures["responded"] - within[2]),
        (_("no public response"), figures["incidents"] - figures["responded"]),
    ]
    largest = max((count for _label, count in counts), default=0) or 1
    bars = [Bar(str(label), str(count), count / largest) for label, count in counts]
    return Chart(_("Time from the event to the first public response (incidents)"), bars)


def monthly_chart(months: list[dict]) -> Chart:
    """On-time rate by month of discovery, with the month's incidents."""
    bars = [
        Bar(
            _("%(month)s (%(incidents)s)") % {"month": f"{row['month']:%Y-%m}", "incidents": row["incidents"]},
            percent(row["on_time_rate"]),
            row["on_time_rate"] or 0,
        )
        for row in months
    ]
    return Chart(_("On-time rate by month (incidents discovered)"), bars)
