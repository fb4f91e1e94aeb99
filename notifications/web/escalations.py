"""A person's escalations, newest first: one entry per step of an obligation, whatever channels carried it.

Acknowledging an entry acknowledges every copy of it: repeats stop for the person and the obligation
(``escalation.acknowledged_recipients``), the unread count goes down by one, and the timeline gets one event.

Below them, the reports to leaders (舆情专报) sent to the person, those not yet opened first: opening one
marks it read. They have their own unread count and never change the escalations'.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View

from incidents.web.access import PersonPage
from incidents.web.clocks import clock_of
from opinion_tracker.lib.durations import countdown_patterns
from statements.bulletins.content import name_of
from statements.bulletins.reading import copies_for, unread_count

from ..acknowledgement import acknowledge_entry
from ..models import EscalationEntry
from ..told import entries_of, entry_view
from .pages import MY_ESCALATIONS


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
        }


class AcknowledgeView(PersonPage, View):
    def post(self, request, pk):
        entry = get_object_or_404(EscalationEntry, pk=pk, recipient=request.user)
        acknowledge_entry(entry, request.user, timezone.now())
        messages.success(request, _("Acknowledged. Repeats of this escalation will no longer reach you."))
        return redirect("web:escalations")
