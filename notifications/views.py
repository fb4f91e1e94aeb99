"""Thin views: the health check, and the acknowledgement page a message links to."""

from django.db import DatabaseError
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .acknowledgement import LinkExpired, LinkInvalid, acknowledge, notification_for_token
from .enforcement import is_recent, last_run
from .steps import step_label


@never_cache
def healthz(request):
    """200 while the database answers and the last pass is recent (three intervals), else 503."""
    try:
        run = last_run()
    except DatabaseError as error:
        return JsonResponse(
            {"database": f"error: {type(error).__name__}", "last_sweep_at": None, "ok": False}, status=503
        )
    last_sweep_at = run.last_finished_at if run else None
    ok = is_recent(run, timezone.now())
    return JsonResponse({"database": "ok", "last_sweep_at": last_sweep_at, "ok": ok}, status=200 if ok else 503)


@never_cache
@require_http_methods(["GET", "POST"])
def acknowledge_link(request, token):
    """GET shows what the link is for; only POST acknowledges, so mail scanners that follow links cannot."""
    try:
        notification = notification_for_token(token)
    except LinkExpired:
        return render(request, "notifications/acknowledge.html", {"expired": True}, status=410)
    except LinkInvalid:
        return render(request, "notifications/acknowledge.html", {"invalid": True}, status=404)
    if request.method == "POST":
        notification = acknowledge(notification, notification.recipient, timezone.now())
    context = {
        "notification": notification,
        "step_label": step_label(notification.step),
        "incident_url": reverse("web:incident", args=[notification.incident_id]),
    }
    return render(request, "notifications/acknowledge.html", context)
