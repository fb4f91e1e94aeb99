"""The statement rules in force for an incident: its nearest government's, else the national ones."""

import re
import unicodedata
from difflib import SequenceMatcher

from django.db.models import Q

from opinion_tracker.lib.beijing import BEIJING

from .models import FlaggedPhrase, HoldingTemplate, ReviewPolicy


def government_ids(incident) -> list[int]:
    """The governments the incident's lead department answers to, nearest first."""
    return [government.pk for government in incident.department.governments()]


def review_policy_for(incident) -> ReviewPolicy:
    """The nearest government's review policy, else the national one (a fresh default when none is kept)."""
    ids = government_ids(incident)
    policies = {
        policy.government_id: policy
        for policy in ReviewPolicy.objects.filter(Q(government__in=ids) | Q(government=None))
    }
    for key in [*ids, None]:
        if key in policies:
            return policies[key]
    return ReviewPolicy()


def applicable(queryset, incident):
    """Rows of the incident's governments and the national ones."""
    return queryset.filter(Q(government__in=government_ids(incident)) | Q(government=None))


def templates_for(incident):
    return applicable(HoldingTemplate.objects.filter(enabled=True), incident)


def comparable(text: str) -> str:
    """``text`` as the phrase checks read it: full-width and compatibility forms folded (NFKC) and every space
    removed, so "无 可 奉 告" or "ｎｏ ｃｏｍｍｅｎｔ" is flagged as the phrase itself would be."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def flags_in(text: str, incident) -> list[dict]:
    """The flagged phrases ``text`` contains, each once with its reason, in the order they first appear."""
    phrases = applicable(FlaggedPhrase.objects.filter(enabled=True), incident)
    read, found = comparable(text), {}
    for phrase in phrases:
        wanted = comparable(phrase.phrase)
        at = read.find(wanted) if wanted else -1
        if at >= 0 and phrase.phrase not in found:
            found[phrase.phrase] = (at, {"phrase": phrase.phrase, "reason": phrase.reason})
    return [flag for _at, flag in sorted(found.values(), key=lambda item: item[0])]


PLACEHOLDER = re.compile(r"\{(title|department|discovered_at|now)\}")
# What a template leaves for the drafter to write: 【…】, or a {name} the incident does not fill.
BLANK = re.compile(r"【[^】]*】|\{[^{}]*\}")


def beijing_minute(moment) -> str:
    return moment.astimezone(BEIJING).strftime("%Y年%m月%d日%H时%M分")


def prefilled(template: HoldingTemplate, incident, now) -> str:
    """The template's text with the incident's facts in place of its four placeholders; anything else in
    braces is left as written (substituted by name, never formatted, so no template can break a draft)."""
    values = {
        "title": incident.title,
        "department": incident.department.name,
        "discovered_at": beijing_minute(incident.discovered_at),
        "now": beijing_minute(now),
    }
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], template.text)


def has_blanks(text: str) -> bool:
    """Whether ``text`` still holds what a template left for the drafter to write."""
    return bool(BLANK.search(text))


def template_kept(template: HoldingTemplate, text: str) -> int:
    """How much of the template's own wording (its text without placeholders or blanks) ``text`` still holds,
    in order, in percent: kept on a sign-off that skips the gates, so an auditor sees whether the statement that
    went out unreviewed was still the template's."""
    wording = BLANK.sub("", template.text)
    if not wording:
        return 0
    blocks = SequenceMatcher(None, wording, text, autojunk=False).get_matching_blocks()
    return round(100 * sum(block.size for block in blocks) / len(wording))
