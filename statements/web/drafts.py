"""The drafting page (``/drafts/<pk>/``) and a new draft (``/incidents/<pk>/drafts/new/``).

Anyone who may read the incident reads the draft: two versions side by side with what changed, the gates of the
current version (who, when, what they said), the flagged phrases, the deadline it races and the sign-off. Each
person also gets the forms of the steps they may take, each posting to its own step (``/drafts/<pk>/<step>/``);
the statements services decide every step, and a form they refuse comes back with what was typed and their
errors on its fields (400), or their refusal in words (403).
"""

from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from incidents.access import Caller, readable_incident
from incidents.models import Incident, ReviewGate
from incidents.timeline_text import label_of
from incidents.web.access import PersonPage
from incidents.web.incident import run_service
from opinion_tracker.lib.durations import countdown_patterns
from opinion_tracker.lib.validation import Errors

from ..deciders import is_author, may_draft, may_publish, may_review, may_sign_off
from ..drafting import add_version, create_draft
from ..models import Draft, GateDecision
from ..policy import prefilled, templates_for
from ..publishing import check_published_text, publish
from ..racing import racing_for
from ..review import GateState, check_may_skip, decide_gate, gate_states, sign_off, unapproved
from .forms import CheckTextForm, CompareForm, GateForm, NewDraftForm, PublishForm, SignOffForm, VersionForm

GATE_STEP = "gate-"


def compared(old: str, new: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Two texts as runs of (change, text), character by character (Chinese has no spaces between words):
    the older with what was deleted ("deleted"), the newer with what was inserted ("inserted"), the rest "same".
    The page escapes every run as it draws it."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)  # autojunk would drop the common characters
    older, newer = [], []
    for change, old_from, old_to, new_from, new_to in matcher.get_opcodes():
        if change == "equal":
            older.append(("same", old[old_from:old_to]))
            newer.append(("same", new[new_from:new_to]))
            continue
        if old_to > old_from:
            older.append(("deleted", old[old_from:old_to]))
        if new_to > new_from:
            newer.append(("inserted", new[new_from:new_to]))
    return older, newer


def readable_incidents(caller: Caller):
    return Incident.objects.filter(caller.incident_filter())


@dataclass(frozen=True)
class GateRow:
    state: GateState
    form: GateForm | None  # offered to the caller (or the one they posted)
    may_approve: bool


def versions_of(draft) -> list:
    decisions = GateDecision.objects.select_related("decided_by")
    related = draft.versions.select_related("created_by", "signed_off_by")
    return list(related.prefetch_related(Prefetch("decisions", queryset=decisions)).order_by("number"))


def picked_pair(versions, query) -> tuple:
    """The two versions to compare: as picked (``?old=&new=``), else the previous and the current."""
    by_number = {version.number: version for version in versions}
    numbers = list(by_number)
    default = {"old": numbers[-2] if len(numbers) > 1 else numbers[-1], "new": numbers[-1]}
    form = CompareForm(query if {"old", "new"} <= set(query) else None, numbers=numbers, initial=default)
    picked = form.cleaned_data if form.is_bound and form.is_valid() else default
    return form, by_number[picked["old"]], by_number[picked["new"]]


def gate_rows(caller: Caller, draft, current, authored: bool, bound: dict) -> list[GateRow]:
    """The current version's gates, each with a form where the caller may still decide it."""
    open_for_review = draft.incident.state == Incident.State.OPEN and current.signed_off_at is None
    rows = []
    for state in gate_states(draft, current):
        form = bound.get(GATE_STEP + state.gate)
        decidable = open_for_review and state.decision is None
        if form is None and decidable and may_review(caller, draft.incident, state.gate):
            form = GateForm(prefix=state.gate, initial={"seen": current.number})
        rows.append(GateRow(state, form, draft.authors_may_review or not authored))
    return rows


def gate_names(gates) -> str:
    return "、".join(label_of(ReviewGate, gate) for gate in gates)


def signable(draft, version, waiting) -> bool:
    """Whether a sign-off of ``version`` can go through now (``waiting``: its gates not yet approved): every gate
    approved, or a holding statement that may skip them (``check_may_skip``, the service's own rule)."""
    skip_errors = Errors()
    if waiting:
        check_may_skip(skip_errors, draft, version, waiting)
    return not skip_errors


def page_context(caller: Caller, draft, now, query, bound: dict, checked=None) -> dict:
    incident = draft.incident
    versions = versions_of(draft)
    current = versions[-1]
    compare_form, older, newer = picked_pair(versions, query)
    before, after = compared(older.text, newer.text)
    waiting = unapproved(draft, current)
    authored = is_author(caller.person, draft)
    is_open = incident.state == Incident.State.OPEN
    publications = list(draft.publications.select_related("action", "version").order_by("action__published_at"))
    published_here = {p.action.channel for p in publications if p.version_id == current.pk}
    unpublished = [channel for channel in draft.channels if channel not in published_here]
    seen = {"seen": current.number}
    context = {
        "draft": draft,
        "incident": incident,
        "versions": versions,
        "current": current,
        "compare_form": compare_form,
        "older": older,
        "newer": newer,
        "before": before,
        "after": after,
        "gates": gate_rows(caller, draft, current, authored, bound),
        "waiting": waiting,
        "waiting_names": gate_names(waiting),
        "skipped_names": gate_names(current.gates_skipped),
        "signable": signable(draft, current, waiting),
        "racing": racing_for(incident, now),
        "publications": publications,
        "check_form": bound.get("verify") or CheckTextForm(prefix="check"),
        "checked": checked,
        "countdown_patterns": countdown_patterns(),
        "now": now,
    }
    if "version" in bound or (is_open and draft.state != Draft.State.PUBLISHED and may_draft(caller, incident)):
        context["version_form"] = bound.get("version") or VersionForm(initial={"text": current.text})
    signs_off = may_sign_off(caller, incident) and (draft.authors_may_review or not authored)
    if "sign-off" in bound or (is_open and current.signed_off_at is None and signs_off):
        context["sign_off_form"] = bound.get("sign-off") or SignOffForm(initial=seen)
    if "publish" in bound or (is_open and current.signed_off_at and unpublished and may_publish(caller, incident)):
        context["publish_form"] = bound.get("publish") or PublishForm(channels=unpublished, initial=seen)
    return context


class DraftPage(PersonPage, View):
    template_name = "statements/draft.html"

    def draft(self, pk) -> Draft:
        readable = Draft.objects.filter(incident__in=readable_incidents(self.caller))
        return get_object_or_404(readable.select_related("incident__department", "template", "created_by"), pk=pk)

    def get(self, request, pk):
        return self.page(self.draft(pk))

    def page(self, draft, status=200, bound=None, checked=None):
        context = page_context(self.caller, draft, timezone.now(), self.request.GET, bound or {}, checked)
        return render(self.request, self.template_name, context, status=status)


@dataclass(frozen=True)
class Step:
    """One step posted from the drafting page: its form, the service it hands the data to, and what to say."""

    form: Callable  # (request, draft, prefix) → the bound form
    apply: Callable  # (draft, gate, data, actor, now): the service (``gate`` only for a gate's step)
    done: Callable  # (data) → the message once done


def gate_done(data) -> str:
    return _("Gate approved.") if data["decision"] == "approve" else _("Returned with your comment.")


GATE = Step(  # ``gate-<gate>``
    lambda request, draft, prefix: GateForm(request.POST, prefix=prefix),
    lambda draft, gate, data, actor, now: decide_gate(draft, gate, **data, actor=actor, now=now),
    gate_done,
)
STEPS = {
    "version": Step(
        lambda request, draft, prefix: VersionForm(request.POST),
        lambda draft, gate, data, actor, now: add_version(draft, text=data["text"], actor=actor, now=now),
        lambda data: _("New version written; every gate starts again."),
    ),
    "sign-off": Step(
        lambda request, draft, prefix: SignOffForm(request.POST),
        lambda draft, gate, data, actor, now: sign_off(draft, **data, actor=actor, now=now),
        lambda data: _("Signed off; the duty officers may publish it now."),
    ),
    "publish": Step(
        lambda request, draft, prefix: PublishForm(request.POST, request.FILES, channels=draft.channels),
        lambda draft, gate, data, actor, now: publish(draft, **data, actor=actor, now=now),
        lambda data: _("Published; the action is recorded with the text's SHA-256."),
    ),
}


class DraftStepView(DraftPage):
    """A post of one step's form: back to the drafting page on success; the page with the form's errors (400)
    or the service's refusal in words (403) otherwise. ``verify`` changes nothing: it shows its result."""

    http_method_names = ["post"]

    def post(self, request, pk, step):
        draft = self.draft(pk)
        if step == "verify":
            return self.verify(draft)
        gate = step.removeprefix(GATE_STEP) if step.startswith(GATE_STEP) else None
        chosen = (GATE if gate in draft.gates else None) if gate is not None else STEPS.get(step)
        if chosen is None:
            raise Http404
        form = chosen.form(request, draft, gate)
        status = 400
        try:
            done = run_service(form, lambda **data: self.apply(chosen, draft, gate, data))
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal) or _("You may not do this on this draft."))
            done, status = None, 403
        if done is not None:
            messages.success(request, done)
            return redirect("web:draft", pk=draft.pk)
        return self.page(draft, status=status, bound={step: form})

    def apply(self, chosen: Step, draft, gate, data) -> str:
        """The step's service; the message to show once it is done."""
        chosen.apply(draft, gate, data, self.request.user, timezone.now())
        return chosen.done(data)

    def verify(self, draft):
        form = CheckTextForm(self.request.POST, prefix="check")
        if not form.is_valid():
            return self.page(draft, status=400, bound={"verify": form})
        return self.page(draft, bound={"verify": form}, checked=checked_as_pasted(draft, form.cleaned_data["text"]))


def checked_as_pasted(draft, text: str) -> dict:
    """The check of a pasted text, whose line breaks the form reads as LF (a browser sends CRLF): a text that went
    out with CRLF line breaks (drafted so through the API) is checked with those, so it matches too."""
    checked = check_published_text(draft, text)
    if not checked["matches"] and "\n" in text:
        with_crlf = check_published_text(draft, text.replace("\n", "\r\n"))
        return with_crlf if with_crlf["matches"] else checked
    return checked


class NewDraftView(PersonPage, View):
    """A new draft: its kind, channels and text, or a holding-statement template's text filled in."""

    template_name = "statements/new_draft.html"

    def incident(self, pk):
        incident = readable_incident(self.caller, pk)
        if not may_draft(self.caller, incident):
            raise PermissionDenied(
                _("Only the duty officers of the lead and co-handling departments draft statements.")
            )
        return incident

    def form(self, incident, data=None):
        return NewDraftForm(data, templates=templates_for(incident))

    def get(self, request, pk):
        incident = self.incident(pk)
        return self.page(incident, self.form(incident))

    def post(self, request, pk):
        incident = self.incident(pk)
        now = timezone.now()
        if "prefill" in request.POST:
            return self.prefill(incident, now)
        form = self.form(incident, request.POST)
        try:
            draft = run_service(form, lambda **data: create_draft(incident, **data, actor=request.user, now=now))
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
            return self.page(incident, form, status=403)
        if draft is None:
            return self.page(incident, form, status=400)
        messages.success(request, _("Draft written; it is in review at every gate."))
        return redirect("web:draft", pk=draft.pk)

    def prefill(self, incident, now):
        """The form again with the chosen template's text in place of the text, to be finished before drafting."""
        form = self.form(incident, self.request.POST)
        form.is_valid()
        template = form.cleaned_data.get("template")
        if template is None:
            form.add_error("template", _("Choose a template to fill the text in from."))
            return self.page(incident, form, status=400)
        data = self.request.POST.copy()
        data["text"] = prefilled(template, incident, now)
        return self.page(incident, self.form(incident, data))

    def page(self, incident, form, status=200):
        return render(self.request, self.template_name, {"incident": incident, "form": form}, status=status)
