"""A person's escalations, newest first: one entry per step of an obligation, whatever channels carried it.

Acknowledging an entry acknowledges every copy of it: repeats stop for the person and the obligation
(``escalation.acknowledged_recipients``), the unread count goes down by one, and the timeline gets one event.

Below them, the reports to leaders (舆情专报) sent to the person, those not yet opened first: opening one
marks it read. They have their own unread count and never change the escalations'.

The page updates itself (``EscalationsFeedView``): every enforcement interval it asks for the person's entries
made since the newest it shows (``after``, an entry id), each rendered with the page's own entry template, and
the unread count (the top bar's badge); the script inserts them, updates both counts and, where the person
allowed it, shows a browser notification for each.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View

from incidents.web.access import PersonPage
from incidents.web.clocks import clock_of
from opinion_tracker.lib.durations import countdown_patterns
from opinion_tracker.lib.feeds import bad_after, feed_after
from statements.bulletins.content import name_of
from statements.bulletins.reading import copies_for, unread_count

from ..acknowledgement import acknowledge_entry
from ..models import EscalationEntry
from ..told import awaiting_acknowledgement, entries_of, entry_view
from .pages import MY_ESCALATIONS

FEED_MAX_ENTRIES = 30  # as many as a page of 我的督办
ENTRY_TEMPLATE = "tracker/_escalation_entry.html"


def inbox_page(person, page_number, now, per_page=30):
    """The page of a person's escalation entries, each with its obligation's clock and its copies."""
    page = Paginator(entries_of(person), per_page).get_page(page_number)
    entries = [(entry_view(entry), clock_of(entry.obligation, now)) for entry in page]
    return page, entries


class EscalationsView(PersonPage, TemplateView):
    roles = MY_ESCALATIONS.roles
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
            "bulletin_copies": [(copy, name_of(copy.bulletin)) for copy in copies_for(self.request.user)],
            "unread_bulletins": unread_count(self.request.user),
            "unread_escalations": awaiting_acknowledgement(self.request.user).count(),
            # Only the first page takes new entries at its top; every page keeps its counts up to date.
            "live_insert": page.number == 1,
            "newest": EscalationEntry.objects.filter(recipient=self.request.user).aggregate(newest=Max("pk"))["newest"]
            or 0,
            "poll_interval": settings.ENFORCEMENT_INTERVAL_SECONDS,
        }


class EscalationsFeedView(PersonPage, View):
    """The person's entries made after ``after`` (an entry id), oldest first, each with its item as 我的督办 renders
    it and the words of a browser notification; the unread count; ``after`` in the answer is where the next poll
    starts."""

    roles = MY_ESCALATIONS.roles

    def get(self, request):
        after = feed_after(request.GET)
        if after is None:
            return bad_after()
        now = timezone.now()
        newest = list(entries_of(request.user).filter(pk__gt=after).order_by("-pk")[:FEED_MAX_ENTRIES])
        entries = []
        for entry in reversed(newest):
            view, clock = entry_view(entry), clock_of(entry.obligation, now)
            obligation = entry.obligation
            entries.append(
                {
                    "id": entry.pk,
                    "html": render_to_string(ENTRY_TEMPLATE, {"view": view, "clock": clock}, request),
                    "title": obligation.incident.title,
                    "body": f"{view.told.step_label} · {obligation.incident.department.name} · "
                    f"{obligation.get_kind_display()}",
                    "unread": view.needs_acknowledgement,
                }
            )
        return JsonResponse(
            {
                "after": max([after, *(entry.pk for entry in newest)]),
                "entries": entries,
                "unread": awaiting_acknowledgement(request.user).count(),
            }
        )


class AcknowledgeView(PersonPage, View):
    def post(self, request, pk):
        entry = get_object_or_404(EscalationEntry, pk=pk, recipient=request.user)
        acknowledge_entry(entry, request.user, timezone.now())
        messages.success(request, _("Acknowledged. Repeats of this escalation will no longer reach you."))
        return redirect("web:escalations")
