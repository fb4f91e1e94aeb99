"""What every page shows a signed-in person: whether the scheduler is running, and their escalations
not yet acknowledged."""

from django.utils import timezone

from .enforcement import is_recent, last_run
from .told import awaiting_acknowledgement


def tracker_status(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    run = last_run()
    unacknowledged = awaiting_acknowledgement(request.user).count()
    return {
        "last_pass_at": run.last_finished_at if run else None,
        "last_pass_stale": not is_recent(run, timezone.now()),
        "unacknowledged_escalations": unacknowledged,
    }
