"""The timeline in words: what each event says beyond its kind ("记录处置 · 政务微博发布", "改级 · 重大 → 一般").

Each app describes its own kinds of event and names its own codes: this app those of incidents, the
notifications app its escalations, acknowledgements, steps and channels (registered from its
``AppConfig.ready``), so this module never names the other app and the dependency stays one way.
"""

from collections.abc import Callable

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from incidents.models import ActionKind, CaseRequest, Severity, TimelineEvent
from opinion_tracker.lib.beijing import BEIJING

Describer = Callable[[dict], str]
DESCRIBERS: dict[str, Describer] = {}
# How one stored value reads, by the key it is stored under (a step key, a channel code): the admin's
# detail lines use these for the codes of the app that registered them.
Words = Callable[[object], str]
VALUE_WORDS: dict[str, Words] = {}


def describes(kind: str) -> Callable[[Describer], Describer]:
    def register(describer: Describer) -> Describer:
        DESCRIBERS[kind] = describer
        return describer

    return register


def words_for(key: str) -> Callable[[Words], Words]:
    def register(words: Words) -> Words:
        VALUE_WORDS[key] = words
        return words

    return register


def describe(event: TimelineEvent) -> str:
    """What the event adds to its kind, in the active language; empty when nothing."""
    describer = DESCRIBERS.get(event.kind)
    return describer(event.detail or {}) if describer else ""


def label_of(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def local_time(value) -> str:
    moment = parse_datetime(value) if isinstance(value, str) else value
    return moment.astimezone(BEIJING).strftime("%m-%d %H:%M") if moment else ""


def with_reason(text: str, reason) -> str:
    if not reason:
        return text
    if not text:
        return _("reason: %(reason)s") % {"reason": reason}
    return _("%(text)s (reason: %(reason)s)") % {"text": text, "reason": reason}


def severity_change(before, after) -> str:
    return f"{label_of(Severity, before)} → {label_of(Severity, after)}"


@describes(TimelineEvent.Kind.ACTION_RECORDED)
def action_recorded(detail: dict) -> str:
    return _("%(kind)s published at %(at)s") % {
        "kind": label_of(ActionKind, detail.get("action_kind")),
        "at": local_time(detail.get("published_at")),
    }


@describes(TimelineEvent.Kind.REGRADED)
def regraded(detail: dict) -> str:
    return with_reason(severity_change(detail.get("before"), detail.get("after")), detail.get("reason"))


@describes(TimelineEvent.Kind.WAIVED)
def waived(detail: dict) -> str:
    if detail.get("waiver") == "regraded":
        change = severity_change(detail.get("severity_before"), detail.get("severity_after"))
        return with_reason(
            _("no longer required after regrading %(change)s") % {"change": change}, detail.get("regrade_reason")
        )
    if detail.get("waiver") == "closed":
        return _("the incident was closed")
    if detail.get("waiver") == "merged":
        return with_reason(_("merged into incident #%(id)s") % {"id": detail.get("into")}, detail.get("merge_reason"))
    return with_reason("", detail.get("reason"))


@describes(TimelineEvent.Kind.CLOSED)
def closed(detail: dict) -> str:
    return with_reason("", detail.get("reason"))


@describes(TimelineEvent.Kind.DEADLINE_RECOMPUTED)
def deadline_recomputed(detail: dict) -> str:
    return f"{local_time(detail.get('before'))} → {local_time(detail.get('after'))}"


@describes(TimelineEvent.Kind.OBLIGATION_MET)
def obligation_met(detail: dict) -> str:
    return _("on time") if detail.get("on_time") else _("late")


@describes(TimelineEvent.Kind.ASSESSED)
def assessed(detail: dict) -> str:
    text = _("conclusion: %(conclusion)s") % {"conclusion": detail.get("conclusion", "")}
    if detail.get("response_line"):
        text = _("%(text)s; response line: %(line)s") % {"text": text, "line": detail["response_line"]}
    return text


@describes(TimelineEvent.Kind.MERGED)
def merged(detail: dict) -> str:
    if detail.get("into") is not None:
        text = _("merged into incident #%(id)s") % {"id": detail["into"]}
    else:
        text = _("incident #%(id)s merged into this one") % {"id": detail.get("from")}
    return with_reason(text, detail.get("reason"))


@describes(TimelineEvent.Kind.FOLLOW_ON)
def follow_on(detail: dict) -> str:
    return _("follow-on incident #%(id)s opened") % {"id": detail.get("follow_on")}


def names(values) -> str:
    return "、".join(values or []) or str(_("none"))


@describes(TimelineEvent.Kind.TRANSFERRED)
def transferred(detail: dict) -> str:
    return with_reason(f"{detail.get('from_name', '')} → {detail.get('to_name', '')}", detail.get("reason"))


@describes(TimelineEvent.Kind.CO_DEPARTMENTS_CHANGED)
def co_departments_changed(detail: dict) -> str:
    return f"{names(detail.get('before_names'))} → {names(detail.get('after_names'))}"


def asked(detail: dict) -> str:
    """What a request asked for, with its reason."""
    if detail.get("asked_severity"):
        text = _("to %(severity)s") % {"severity": label_of(Severity, detail["asked_severity"])}
    elif detail.get("asked_due_at"):
        text = _("to %(at)s") % {"at": local_time(detail["asked_due_at"])}
    else:
        text = ""
    return with_reason(text, detail.get("reason"))


for requested in (
    TimelineEvent.Kind.DOWNGRADE_REQUESTED,
    TimelineEvent.Kind.EXTENSION_REQUESTED,
    TimelineEvent.Kind.WAIVER_REQUESTED,
    TimelineEvent.Kind.RETURN_REQUESTED,
):
    describes(requested)(asked)


@describes(TimelineEvent.Kind.REQUEST_APPROVED)
@describes(TimelineEvent.Kind.REQUEST_REFUSED)
def decided(detail: dict) -> str:
    kind = label_of(CaseRequest.Kind, detail.get("request_kind"))
    note = detail.get("note")
    return _("%(kind)s: %(note)s") % {"kind": kind, "note": note} if note else kind


@describes(TimelineEvent.Kind.EXTENDED)
def extended(detail: dict) -> str:
    return f"{local_time(detail.get('before'))} → {local_time(detail.get('after'))}"


@describes(TimelineEvent.Kind.INSTRUCTED)
def instructed(detail: dict) -> str:
    return _("%(text)s → %(departments)s, reply by %(at)s") % {
        "text": detail.get("text", ""),
        "departments": names(detail.get("department_names")),
        "at": local_time(detail.get("due_at")),
    }
