"""The input rules of incidents themselves; the general ones (``Errors``, the checks) are the shared library's."""

from django.utils.translation import gettext as _

from opinion_tracker.lib.validation import FUTURE_TOLERANCE, Errors, check_not_future


def check_incident_times(errors: Errors, discovered_at, occurred_at, now) -> None:
    check_not_future(errors, "discovered_at", discovered_at, now)
    check_not_future(errors, "occurred_at", occurred_at, now)
    if occurred_at is not None and discovered_at is not None and occurred_at > discovered_at + FUTURE_TOLERANCE:
        errors.add("occurred_at", _("The event cannot have occurred after the opinion about it was discovered."))
