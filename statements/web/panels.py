"""The statements panel of the incident page (``opinion_tracker.lib.contributions``): the incident's drafts with
their state and gates, the deadline they race, a link to draft one for those who may, and to the 舆情专报."""

from django.db.models import Prefetch

from incidents.access import Caller
from incidents.models import Incident

from ..deciders import may_draft
from ..models import Draft, DraftVersion
from ..racing import racing_for
from ..review import gate_states

TEMPLATE = "statements/incident_panel.html"


def drafts_with_gates(incident) -> list[tuple[Draft, DraftVersion, list]]:
    """Each draft, newest first, with its current version and that version's gates (three queries in all)."""
    versions = DraftVersion.objects.select_related("signed_off_by").order_by("number").prefetch_related("decisions")
    drafts = incident.drafts.prefetch_related(Prefetch("versions", queryset=versions)).order_by("-created_at", "-pk")
    rows = []
    for draft in drafts:
        current = list(draft.versions.all())[-1]
        rows.append((draft, current, gate_states(draft, current)))
    return rows


def statements_panel(request, caller: Caller, incident, now) -> tuple[str, dict]:
    drafts = drafts_with_gates(incident)
    context = {
        "incident": incident,
        "drafts": drafts,
        "racing": racing_for(incident, now),
        "may_draft": incident.state == Incident.State.OPEN and may_draft(caller, incident),
    }
    return TEMPLATE, context
