"""A person's escalations, newest first, one entry per step of an obligation whatever channels carried it.

Acknowledging an entry acknowledges its first notification: repeats stop for the person and the
obligation (``escalation.acknowledged_recipients``), and the timeline gets one event, not one per channel.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max, Min
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View

from incidents.models import Obligation
from incidents.web.access import PersonPage
from incidents.web.clocks import clock_of, countdown_patterns

from ..acknowledgement import acknowledge
from ..models import Notification
from .steps import step_name


def inbox_page(person, page_number, now, per_page=30):
    """The page of a person's escalation entries, with the obligation, its clock and the channels used."""
    groups = (
        Notification.objects.filter(recipient=person)
        .values("obligation", "step")
        .annotate(told_at=Min("created_at"), latest=Max("created_at"), acknowledged_at=Max("acknowledged_at"))
        .order_by("-latest", "-obligation", "step")
    )
    page = Paginator(groups, per_page).get_page(page_number)
    obligation_ids = {group["obligation"] for group in page}
    obligations = Obligation.objects.select_related("incident", "incident__department").in_bulk(obligation_ids)
    notifications = Notification.objects.filter(recipient=person, obligation__in=obligation_ids).order_by("pk")
    by_group: dict[tuple, list[Notification]] = {}
    for notification in notifications:
        by_group.setdefault((notification.obligation_id, notification.step), []).append(notification)
    entries = []
    for group in page:
        obligation = obligations[group["obligation"]]
        told = by_group[(group["obligation"], group["step"])]
        entries.append(
            {
                **group,
                "obligation": obligation,
                "clock": clock_of(obligation, now),
                "step_name": step_name(group["step"]),
                "channels": sorted({n.get_channel_display() for n in told}),
                "first": told[0],
            }
        )
    return page, entries


class EscalationsView(PersonPage, TemplateView):
    template_name = "tracker/escalations.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        page, entries = inbox_page(self.request.user, self.request.GET.get("page"), now)
        return {
            **super().get_context_data(**kwargs),
            "page_obj": page,
            "entries": entries,
            "now": now,
            "countdown_patterns": countdown_patterns(),
        }


class AcknowledgeView(PersonPage, View):
    def post(self, request, pk):
        notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
        acknowledge(notification, request.user, timezone.now())
        messages.success(request, _("Acknowledged. Repeats of this escalation will no longer reach you."))
        return redirect("web:escalations")
