"""Drafting a statement and revising it: every edit is a new version, checked for flagged phrases, and a
new version starts every gate again (docs/rules.md, "Statements")."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from incidents.access import Caller
from incidents.models import Action, Incident, TimelineEvent
from incidents.services.locks import lock_incident
from incidents.services.obligations import NON_FIELD
from incidents.services.timeline import record_event
from opinion_tracker.lib.hashing import text_sha256
from opinion_tracker.lib.validation import Errors, check_choice, check_required

from .deciders import may_draft
from .models import Draft, DraftVersion
from .policy import flags_in, prefilled, review_policy_for, templates_for

MAX_TEXT = 20_000  # characters of one version: a long 通稿 is a few thousand
MAX_CHANNELS = 20


def lock_draft(draft) -> Draft:
    """The draft re-read under lock (inside ``transaction.atomic``): versions, gate decisions, sign-off and
    publication of one draft apply one after the other, so a gate is never approved on a version that a
    revision has just replaced, nor a version published while a new one is being written.

    Only the draft's own row is locked (``of``), and as ``FOR NO KEY UPDATE``: its incident and department are
    read with it but not locked, since ``FOR UPDATE`` on the incident would block the enforcement pass's
    timeline inserts and, in ``publish``, deadlock with a pass holding the obligations that ``record_action``
    then locks (``incidents/services/locks.py``). Whoever needs the incident locked takes that lock itself."""
    drafts = Draft.objects.select_for_update(no_key=True, of=("self",)).select_related("incident__department")
    return drafts.get(pk=draft.pk)


def check_text(errors: Errors, text, field: str = "text", limit: int = MAX_TEXT) -> None:
    """A text the database stores as written: a string, not blank, within ``limit``, with no NUL character
    and no lone surrogate (neither can be stored as UTF-8)."""
    if text is not None and not isinstance(text, str):
        errors.add(field, _("Enter text."))
        return
    check_required(errors, field, text)
    if text and len(text) > limit:
        message = _("At most %(limit)d characters (this has %(length)d).")
        errors.add(field, message % {"limit": limit, "length": len(text)})
    elif text and not storable(text):
        errors.add(field, _("The text holds characters that cannot be stored; paste it again as plain text."))


def storable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def check_channels(errors: Errors, channels) -> None:
    """One or more channel names, each once, each fitting the action's channel column."""
    limit = Action._meta.get_field("channel").max_length or 0
    if not isinstance(channels, list) or not channels:
        errors.add("channels", _("Name at least one channel it will go out on."))
    elif any(not isinstance(c, str) or not c.strip() or len(c) > limit for c in channels):
        errors.add("channels", _("Each channel is a name of at most %(limit)d characters.") % {"limit": limit})
    elif len(channels) > MAX_CHANNELS or len(set(channels)) != len(channels):
        errors.add("channels", _("Name each channel once, at most %(limit)d.") % {"limit": MAX_CHANNELS})


def ensure_may_draft(caller: Caller, incident) -> None:
    if not may_draft(caller, incident):
        raise PermissionDenied(_("Only the duty officers of the lead and co-handling departments draft statements."))


def create_draft(incident, *, kind, channels, text="", template=None, actor, now) -> Draft:
    """A new draft with its first version, in review at once (every gate pending). A template prefills the
    text when none is given; only a holding statement made from a template may later skip its gates."""
    ensure_may_draft(Caller.of(actor), incident)
    errors = Errors()
    check_choice(errors, "kind", kind, Draft.Kind)
    check_channels(errors, channels)
    if template is not None and not templates_for(incident).filter(pk=template.pk).exists():
        errors.add("template", _("This template is not one of the incident's government."))
    elif template is not None and not (isinstance(text, str) and text.strip()):
        text = prefilled(template, incident, now)
    check_text(errors, text)
    errors.raise_if_any()
    policy = review_policy_for(incident)
    with transaction.atomic():
        check_open(lock_incident(incident))
        draft = Draft.objects.create(
            incident=incident,
            kind=kind,
            channels=channels,
            template=template,
            gates=list(policy.gates),
            gates_passed=not policy.gates,
            authors_may_review=policy.authors_may_review,
            created_by=actor,
            created_at=now,
        )
        version = write_version(draft, text, actor, now)
        record_event(
            incident,
            TimelineEvent.Kind.DRAFT_CREATED,
            now,
            actor,
            draft=draft.pk,
            draft_kind=kind,
            **version_detail(version),
        )
    return draft


def add_version(draft, *, text, actor, now) -> DraftVersion:
    """A new version of ``draft``: its gates start again, and a sign-off of an earlier version no longer
    counts for what is published next."""
    errors = Errors()
    check_text(errors, text)
    errors.raise_if_any()
    with transaction.atomic():
        draft = lock_draft(draft)
        ensure_may_draft(Caller.of(actor), draft.incident)
        check_open(draft.incident)
        if draft.state == Draft.State.PUBLISHED:
            message = _("This statement is published; draft a new statement for a correction or an update.")
            Errors({NON_FIELD: [message]}).raise_if_any()
        version = write_version(draft, text, actor, now)
        draft.state, draft.gates_passed = Draft.State.IN_REVIEW, False
        draft.save(update_fields=["state", "gates_passed"])
        record_event(
            draft.incident, TimelineEvent.Kind.DRAFT_VERSION, now, actor, draft=draft.pk, **version_detail(version)
        )
    return version


def check_open(incident) -> None:
    if incident.state == Incident.State.CLOSED:
        Errors({NON_FIELD: [_("The incident is closed; no statement can be drafted on it.")]}).raise_if_any()


def check_seen(version, seen) -> None:
    """Refuse a decision taken on a version that is no longer the current one: ``seen`` is the version number
    the person read (None when the caller does not say, as an API client may not)."""
    if seen is not None and seen != version.number:
        message = _("Version %(seen)s was replaced by version %(current)s; read the current version first.")
        Errors({NON_FIELD: [message % {"seen": seen, "current": version.number}]}).raise_if_any()


def write_version(draft, text, actor, now) -> DraftVersion:
    number = (draft.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    return DraftVersion.objects.create(
        draft=draft,
        number=number,
        text=text,
        sha256=text_sha256(text),
        flags=flags_in(text, draft.incident),
        created_by=actor,
        created_at=now,
    )


def version_detail(version) -> dict:
    return {"version": version.number, "sha256": version.sha256, "flags": [flag["phrase"] for flag in version.flags]}


def current_version(draft) -> DraftVersion:
    return draft.versions.order_by("-number").first()
