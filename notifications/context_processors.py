"""What every page shows a signed-in person: whether the scheduler is running (the count of their
escalations not yet acknowledged is the top bar's badge, ``web.pages``), and to administrators how many
readiness gaps there are (counted at most once a minute, ``readiness.gap_count``)."""

from django.utils import timezone

from incidents.access import caller_of
from incidents.models import Role

from .enforcement import is_recent, last_run
from .readiness import gap_count


def tracker_status(request) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    run = last_run()
    status = {
        "last_pass_at": run.last_finished_at if run else None,
        "last_pass_stale": not is_recent(run, timezone.now()),
    }
    if Role.ADMIN in caller_of(request).roles:
        status["readiness_gaps"] = gap_count()
    return status
