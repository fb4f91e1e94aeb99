"""What a 舆情专报 / 续报 says, gathered from the incident record in one place, so that the Word and the PDF
documents render the very same facts (docs/rules.md, "Statements").

The document is worded in the site's language (Simplified Chinese by default), as the escalation messages
are, whoever asks for it: one document is stored, sent to several leaders and kept as the evidence of the
internal report, so the language of the person who pressed "send" must not change it. Times are Beijing time.

It is gathered before the internal report it is the evidence of is recorded (the action needs the file), so
the obligations that report will meet read "met by sending this report" rather than as still owed.
"""

from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from incidents.models import Action, ActionKind, Obligation
from incidents.services.obligations import counts_for
from incidents.timeline_text import describe
from incidents.web.clocks import clock_of
from opinion_tracker.lib.beijing import BEIJING

from ..publishing import approved_version
from .printing import NOTHING, at
from .suggestions import suggestions


@dataclass(frozen=True)
class Table:
    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # each column's share of the text width
    empty: str  # said instead of the table when it has no rows


@dataclass(frozen=True)
class Section:
    """One numbered part (一、基本情况 …): label–value facts, a table and paragraphs, in that order."""

    heading: str
    facts: tuple[tuple[str, str], ...] = ()
    table: Table | None = None
    paragraphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class BulletinContent:
    title: str  # 舆情专报, or 舆情续报 for a later one about the same incident
    follow_up: bool
    number: int
    year: int
    issue: str  # 第N期
    government: str
    date: str  # the day it is sent (a preview: today), Beijing time
    subject: str  # the incident's title
    preview_note: str  # on a preview only: the number is taken when it is sent
    time_note: str
    sections: tuple[Section, ...]
    recipients: str  # 送：…; empty on a preview

    def file_name(self, extension: str) -> str:
        return file_name(self.title, self.issue, extension)


def file_name(title: str, issue: str, extension: str) -> str:
    """What a bulletin's file is called: 舆情专报-第1期.pdf."""
    return f"{title}-{issue}.{extension}"


def name_of(bulletin) -> str:
    """A sent bulletin as a page names it, in the page's language: 舆情专报 第1期."""
    return f"{title_of(bulletin.follow_up)} {issue_of(bulletin.number)}"


def stored_file_name(bulletin, extension: str) -> str:
    """A sent bulletin's file name, in the language its documents are written in."""
    with translation.override(settings.LANGUAGE_CODE):
        return file_name(title_of(bulletin.follow_up), issue_of(bulletin.number), extension)


def issue_of(number: int) -> str:
    """第N期 (call in the document's language)."""
    return _("No. %(number)d") % {"number": number}


def title_of(follow_up: bool) -> str:
    return _("Public opinion follow-up report") if follow_up else _("Public opinion report")


def gather(incident, *, number, year, follow_up, now, government, recipients=(), advice="") -> BulletinContent:
    """The document as it reads ``now``: with ``recipients`` (their names) the one being sent, without them
    a preview of the next one."""
    with translation.override(settings.LANGUAGE_CODE):
        obligations = list(incident.obligations.select_related("department").order_by("due_at", "pk"))
        report = Action(incident=incident, kind=ActionKind.INTERNAL_REPORT, published_at=now)
        met_by_report = {o.pk for o in obligations if o.is_open and counts_for(o, report)}
        owed = [o for o in obligations if o.is_open and o.pk not in met_by_report]
        line = signed_off_line(incident)
        local = now.astimezone(BEIJING)
        return BulletinContent(
            title=title_of(follow_up),
            follow_up=follow_up,
            number=number,
            year=year,
            issue=issue_of(number),
            government=government.name if government else "",
            date=_("%(month)d/%(day)d/%(year)d") % {"year": local.year, "month": local.month, "day": local.day},
            subject=incident.title,
            preview_note="" if recipients else _("Preview: the issue number is taken when the report is sent."),
            time_note=_("All times are Beijing time."),
            sections=(
                overview(incident),
                deadlines(obligations, met_by_report),
                actions_taken(incident),
                Section(_("4. Response line"), paragraphs=response_line(line)),
                Section(_("5. Course of events"), paragraphs=course_of_events(incident)),
                Section(_("6. Next steps"), paragraphs=next_steps(owed, now)),
                Section(_("7. Recommendations"), paragraphs=recommendations(owed, now, line, advice)),
            ),
            recipients=_("To: %(names)s") % {"names": "、".join(recipients)} if recipients else "",
        )


def overview(incident) -> Section:
    source = " ".join(part for part in (incident.source_platform, incident.source_url) if part)
    co_departments = "、".join(d.name for d in incident.co_departments.order_by("name"))
    earlier = [f"{issue_of(b.number)}（{at(b.sent_at)}）" for b in incident.bulletins.order_by("sent_at", "pk")]
    facts = [
        (_("title"), incident.title),
        (_("severity"), incident.get_severity_display()),
        (_("lead department"), incident.department.name),
        (_("Co-handling departments"), co_departments or NOTHING),
        (_("event occurred at"), at(incident.occurred_at) or _("not known")),
        (_("discovered at"), at(incident.discovered_at)),
        (_("source"), source or NOTHING),
        (_("summary"), incident.summary or NOTHING),
    ]
    if earlier:
        facts.append((_("Earlier reports"), "、".join(earlier)))
    return Section(_("1. Overview"), facts=tuple(facts))


def deadlines(obligations, met_by_report: set[int]) -> Section:
    rows = []
    for obligation in obligations:
        kind = obligation.get_kind_display()
        if obligation.department_id:
            kind = f"{kind}（{obligation.department.name}）"
        due = at(obligation.due_at)
        if obligation.extended:
            due += _(" (extended; was %(at)s)") % {"at": at(obligation.original_due_at)}
        state = _("Met by sending this report") if obligation.pk in met_by_report else obligation.get_state_display()
        if obligation.state == Obligation.State.WAIVED and obligation.waived_reason:
            state = f"{state}（{obligation.waived_reason}）"
        rows.append((kind, due, state, at(obligation.met_at) or at(obligation.waived_at) or NOTHING))
    table = Table(
        headings=(_("obligation"), _("due at"), _("state"), _("met at")),
        rows=tuple(rows),
        widths=(0.3, 0.22, 0.26, 0.22),
        empty=_("No deadlines."),
    )
    return Section(_("2. Deadlines"), table=table)


def actions_taken(incident) -> Section:
    """Each action with its evidence: the link, or the file's name; a published text's SHA-256."""
    rows = []
    for action in incident.actions.order_by("published_at", "pk"):
        evidence = action.evidence_url or (PurePath(action.evidence_file.name).name if action.evidence_file else "")
        notes = [action.summary] if action.summary else []
        if action.text_sha256:
            notes.append(f"SHA-256：{action.text_sha256}")
        kind, published, channel = action.get_kind_display(), at(action.published_at), action.channel or NOTHING
        rows.append((kind, published, channel, evidence or NOTHING, "\n".join(notes) or NOTHING))
    table = Table(
        headings=(_("kind"), _("published at"), _("channel"), _("evidence (link or file)"), _("notes")),
        rows=tuple(rows),
        widths=(0.14, 0.18, 0.14, 0.27, 0.27),
        empty=_("No actions recorded yet."),
    )
    return Section(_("3. Actions taken"), table=table)


def signed_off_line(incident):
    """The latest signed-off version among the incident's drafts (the agreed line), or None."""
    versions = [approved_version(draft) for draft in incident.drafts.all()]
    return max((v for v in versions if v is not None), key=lambda v: (v.signed_off_at, v.pk), default=None)


def response_line(version) -> tuple[str, ...]:
    if version is None:
        return (_("No response line has been signed off yet."),)
    signed = _("Version %(number)d of the %(kind)s, signed off by %(leader)s at %(at)s; SHA-256: %(sha256)s") % {
        "number": version.number,
        "kind": version.draft.get_kind_display(),
        "leader": version.signed_off_by,
        "at": at(version.signed_off_at),
        "sha256": version.sha256,
    }
    return (*[line for line in version.text.splitlines() if line.strip()], signed)


def course_of_events(incident) -> tuple[str, ...]:
    """Every timeline event in words, as the incident page says them."""
    lines = []
    for event in incident.timeline.select_related("actor", "obligation").order_by("at", "pk"):
        parts = [event.get_kind_display()]
        if event.obligation:
            parts.append(event.obligation.get_kind_display())
        words = describe(event)
        if words:
            parts.append(words)
        if event.actor:
            parts.append(str(event.actor))
        lines.append(f"{at(event.at)}  " + " · ".join(parts))
    return tuple(lines)


def next_steps(owed, now) -> tuple[str, ...]:
    if not owed:
        return (_("Every deadline has been met or waived."),)
    return tuple(
        _("%(obligation)s: due at %(due)s, %(standing)s.")
        % {"obligation": o.get_kind_display(), "due": at(o.due_at), "standing": clock_of(o, now).text}
        for o in owed
    )


def recommendations(owed, now, line, advice: str) -> tuple[str, ...]:
    """What the record suggests, then the sender's own advice."""
    derived = suggestions(owed, now, has_response_line=line is not None)
    advice = advice.strip()
    return (*derived, _("Advice of the sender: %(advice)s") % {"advice": advice}) if advice else derived
