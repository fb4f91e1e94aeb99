"""What every page shows a signed-in person: whether the scheduler is running (the count of their
escalations not yet acknowledged is the top bar's badge, ``web.pages``)."""

from django.utils import timezone

from .enforcement import is_recent, last_run


def tracker_status(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    run = last_run()
    return {
        "last_pass_at": run.last_finished_at if run else None,
        "last_pass_stale": not is_recent(run, timezone.now()),
    }
