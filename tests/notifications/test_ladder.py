"""The ladder's ``advance`` on its own, without a database: whatever the ladder and however the passes
fall, a step is recorded once, the next step is always ahead, and a second look changes nothing."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.ladder import Ladder, Standing, Step, advance

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

offsets = st.integers(min_value=-600, max_value=600).map(lambda minutes: minutes * MINUTE)
steps = st.lists(offsets, min_size=1, max_size=6, unique=True).map(
    lambda times: tuple(
        Step(code=f"step_{n}", audiences=("principal_leader",), channels=("in_app",), offset=offset)
        for n, offset in enumerate(times)
    )
)
ladders = st.builds(Ladder, steps=steps, repeat_every=st.none() | st.integers(30, 240).map(lambda m: m * MINUTE))
windows = st.integers(min_value=30, max_value=48 * 60).map(lambda minutes: minutes * MINUTE)
# The moments passes run at, as minutes after the clock started (sorted: time moves forward).
passes = st.lists(st.integers(min_value=0, max_value=5 * 24 * 60), min_size=1, max_size=30).map(sorted)


def run(ladder, window, pass_minutes):
    """Every pass in turn, each recording what the previous ones left; returns the firings and standings."""
    standing = Standing(START, START + window)
    seen = []
    for minutes in pass_minutes:
        now = START + minutes * MINUTE
        progress = advance(ladder, standing, now)
        seen.append((now, progress))
        standing = standing.after(progress)
    return seen, standing


@settings(max_examples=300, deadline=None)
@given(ladders, windows, passes)
def test_a_step_is_never_recorded_twice(ladder, window, pass_minutes):
    seen, _standing = run(ladder, window, pass_minutes)
    codes = [firing.code for _now, progress in seen for firing in progress.firings]
    assert len(codes) == len(set(codes))


@settings(max_examples=300, deadline=None)
@given(ladders, windows, passes)
def test_the_next_step_is_always_after_now(ladder, window, pass_minutes):
    seen, _standing = run(ladder, window, pass_minutes)
    assert all(progress.next_step_at is None or progress.next_step_at > now for now, progress in seen)


@settings(max_examples=300, deadline=None)
@given(ladders, windows, passes)
def test_a_second_look_at_the_same_moment_changes_nothing(ladder, window, pass_minutes):
    seen, standing = run(ladder, window, pass_minutes)
    last_now, last_progress = seen[-1]

    again = advance(ladder, standing, last_now)

    assert again.firings == []
    assert (tuple(again.fired), tuple(again.skipped), again.repeats_fired) == (
        standing.fired,
        standing.skipped,
        standing.repeats_fired,
    )
    assert again.next_step_at == last_progress.next_step_at
