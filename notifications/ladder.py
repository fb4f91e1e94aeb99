"""The ladder as plain values, and which of its steps a pass records at a given moment.

Pure functions, no database: a step's time follows from the obligation's clock start and deadline,
so a deadline that moves (regrading, a calendar loaded) moves the steps not yet recorded with it.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

STALE = _("The deadline had passed before this warning could be sent.")


@dataclass(frozen=True)
class Step:
    code: str
    audiences: tuple[str, ...]
    channels: tuple[str, ...]
    offset: timedelta | None = None
    window_fraction: float | None = None
    short_window: timedelta | None = None
    short_window_offset: timedelta | None = None

    @property
    def is_warning(self) -> bool:
        """Before the deadline: worth sending only while the deadline is still ahead."""
        return self.offset is None or self.offset < timedelta(0)

    def at(self, clock_started_at: datetime, due_at: datetime) -> datetime:
        window = due_at - clock_started_at
        if self.window_fraction is not None:
            return clock_started_at + window * self.window_fraction
        short = self.short_window is not None and window <= self.short_window
        offset = self.short_window_offset if short else self.offset
        if offset is None:  # the policy's checks forbid it: a step has a share of the window or an offset
            raise ValueError(f"The step {self.code} has no time.")
        return due_at + offset


@dataclass(frozen=True)
class Ladder:
    steps: tuple[Step, ...]
    repeat_every: timedelta | None = None

    def last_level(self, clock_started_at: datetime, due_at: datetime) -> Step | None:
        """The level that repeats: the last one to fall at or after the deadline."""
        levels = [step for step in self.steps if not step.is_warning]
        return max(levels, key=lambda step: step.at(clock_started_at, due_at), default=None)

    def step(self, code: str) -> Step | None:
        return next((step for step in self.steps if step.code == code), None)

    def to_snapshot(self) -> dict:
        def seconds(value):
            return None if value is None else value.total_seconds()

        return {
            "repeat_every": seconds(self.repeat_every),
            "steps": [
                {
                    "code": step.code,
                    "audiences": list(step.audiences),
                    "channels": list(step.channels),
                    "offset": seconds(step.offset),
                    "window_fraction": step.window_fraction,
                    "short_window": seconds(step.short_window),
                    "short_window_offset": seconds(step.short_window_offset),
                }
                for step in self.steps
            ],
        }

    @classmethod
    def from_snapshot(cls, snapshot: dict) -> "Ladder":
        def duration(value):
            return None if value is None else timedelta(seconds=value)

        return cls(
            repeat_every=duration(snapshot.get("repeat_every")),
            steps=tuple(
                Step(
                    code=item["code"],
                    audiences=tuple(item["audiences"]),
                    channels=tuple(item["channels"]),
                    offset=duration(item["offset"]),
                    window_fraction=item["window_fraction"],
                    short_window=duration(item["short_window"]),
                    short_window_offset=duration(item["short_window_offset"]),
                )
                for item in snapshot["steps"]
            ),
        )


@dataclass(frozen=True)
class Firing:
    """A step whose time has come: sent, or recorded as skipped with ``reason``.

    ``at`` is the step's time on the ladder; ``held_until`` the time working hours moved it to, if they did.
    """

    code: str
    step: Step
    at: datetime
    reason: str | Promise | None = None
    is_repeat: bool = False
    held_until: datetime | None = None

    @property
    def sends(self) -> bool:
        return self.reason is None

    @property
    def goes_out_at(self) -> datetime:
        return self.held_until or self.at


@dataclass
class Progress:
    """What a pass does for one obligation, and where its escalation stands afterwards."""

    firings: list[Firing] = field(default_factory=list)
    fired: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    repeats_fired: int = 0
    next_step_at: datetime | None = None


@dataclass(frozen=True)
class Standing:
    """Where one obligation's escalation stands before a pass: its clock and deadline, the steps already
    recorded (and which of them were skipped), the repeats counted, and the round (1 until the deadline
    moved)."""

    clock_started_at: datetime
    due_at: datetime
    fired: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    repeats_fired: int = 0
    round: int = 1

    def after(self, progress: "Progress") -> "Standing":
        """Where it stands once ``progress`` is recorded."""
        return replace(
            self, fired=tuple(progress.fired), skipped=tuple(progress.skipped), repeats_fired=progress.repeats_fired
        )


class Hours(Protocol):
    """Working hours (``incidents.services.hours.Hours``): when steps of a working-day obligation go out."""

    def is_open(self, at: datetime) -> bool: ...

    def next_start(self, at: datetime) -> datetime: ...

    def move(self, at: datetime, due_at: datetime) -> datetime: ...


def step_key(code: str, round_: int) -> str:
    """The key a step is recorded under: its code, marked with the round after a deadline moved."""
    return code if round_ == 1 else f"{code}#{round_}"


def advance(ladder: Ladder, standing: Standing, now: datetime, hours: Hours | None = None) -> Progress:
    """Every step whose time has come by ``now`` and has not been recorded, in time order.

    Levels and warnings are recorded once each, in order; a warning is skipped (stale) once the
    deadline has passed. Of a run of missed repeats of the last level only the latest is recorded.
    With ``hours`` (an obligation counted in working days), each step goes out at its time moved into
    working hours, and nothing goes out while they are closed. The next step left is always after ``now``.
    """

    clock_started_at, due_at, fired, round_ = standing.clock_started_at, standing.due_at, standing.fired, standing.round

    def moved(at: datetime) -> datetime | None:
        held = hours.move(at, due_at) if hours is not None else at
        return None if held == at else held

    open_now = hours is None or hours.is_open(now)
    progress = Progress(fired=list(fired), skipped=list(standing.skipped), repeats_fired=standing.repeats_fired)
    waiting = sorted(
        ((step.at(clock_started_at, due_at), position, step) for position, step in enumerate(ladder.steps)),
        key=lambda item: item[:2],
    )
    upcoming = []
    for at, _position, step in waiting:
        if step.code in fired:
            continue
        firing = Firing(step_key(step.code, round_), step, at, held_until=moved(at))
        if not (open_now and firing.goes_out_at <= now):
            upcoming.append(firing.goes_out_at)
            continue
        if step.is_warning and now >= due_at:
            firing = replace(firing, reason=STALE)
            progress.skipped.append(step.code)
        progress.firings.append(firing)
        progress.fired.append(step.code)

    last = ladder.last_level(clock_started_at, due_at)
    if last is not None and ladder.repeat_every and last.code in progress.fired:
        first_repeat = last.at(clock_started_at, due_at)
        latest_repeat = (now - first_repeat) // ladder.repeat_every
        if open_now and latest_repeat > progress.repeats_fired:
            at = first_repeat + latest_repeat * ladder.repeat_every
            code = step_key(f"repeat_{latest_repeat}", round_)
            progress.firings.append(Firing(code, last, at, is_repeat=True, held_until=moved(at)))
            progress.repeats_fired = latest_repeat
        next_repeat = first_repeat + (progress.repeats_fired + 1) * ladder.repeat_every
        upcoming.append(moved(next_repeat) or next_repeat)
    if hours is not None and not open_now:  # what came due while working hours are closed waits for them
        upcoming = [max(at, hours.next_start(now)) for at in upcoming]
    progress.next_step_at = min(upcoming, default=None)
    return progress


def new_round(
    ladder: Ladder, clock_started_at: datetime, due_at: datetime, fired: list[str], skipped: list[str], now: datetime
) -> tuple[list[str], list[str], int]:
    """Where escalation stands when the deadline has moved to ``due_at`` or the ladder was replaced
    (a regrade): the steps that stay done, those of them that were skipped, and the repeats counted.

    A step recorded before stays done when its time under the new terms has passed too: nobody is told
    twice what they were told. A step whose time is ahead again is told again when it comes (under a
    new key), and so is a warning once skipped as stale when the deadline is ahead again. Repeats that
    fell before ``now`` under the new terms count as sent, so their rhythm goes on without a burst.
    """
    ahead = due_at > now
    kept = [
        code
        for code in fired
        if (step := ladder.step(code)) is not None
        and step.at(clock_started_at, due_at) <= now
        and not (ahead and code in skipped)
    ]
    last = ladder.last_level(clock_started_at, due_at)
    repeats = 0
    if last is not None and ladder.repeat_every and last.code in kept:
        repeats = max(0, (now - last.at(clock_started_at, due_at)) // ladder.repeat_every)
    return kept, [code for code in skipped if code in kept], repeats
