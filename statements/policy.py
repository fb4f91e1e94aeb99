"""The statement rules in force for an incident: its nearest government's, else the national ones."""

from string import Formatter

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


def flags_in(text: str, incident) -> list[dict]:
    """The flagged phrases ``text`` contains, each once with its reason, in the order they first appear."""
    phrases = applicable(FlaggedPhrase.objects.filter(enabled=True), incident)
    found = {}
    for phrase in phrases:
        at = text.find(phrase.phrase)
        if at >= 0 and phrase.phrase not in found:
            found[phrase.phrase] = (at, {"phrase": phrase.phrase, "reason": phrase.reason})
    return [flag for _at, flag in sorted(found.values(), key=lambda item: item[0])]


class Fill(dict):
    """Placeholders the incident fills; any other ``{name}`` stays as written for the drafter to finish."""

    def __missing__(self, key):
        return "{" + key + "}"


def prefilled(template: HoldingTemplate, incident, now) -> str:
    """The template's text with the incident's facts in place of its placeholders."""
    values = Fill(
        title=incident.title,
        department=incident.department.name,
        discovered_at=incident.discovered_at.astimezone(BEIJING).strftime("%Y年%m月%d日%H时%M分"),
        now=now.astimezone(BEIJING).strftime("%Y年%m月%d日%H时%M分"),
    )
    try:
        return Formatter().vformat(template.text, (), values)
    except (ValueError, IndexError):  # a stray brace in the template: leave it as it is
        return template.text
