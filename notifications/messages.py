"""The text of an escalation message, in the site's language (Simplified Chinese by default)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opinion_tracker.lib.beijing import BEIJING
from opinion_tracker.lib.durations import countdown_patterns, duration_text

from .acknowledgement import acknowledgement_url
from .steps import step_label


def incident_url(incident) -> str:
    """The tracker's own incident page: everyone told about an incident may read it (``IncidentReader``)."""
    return settings.SITE_URL.rstrip("/") + reverse("web:incident", args=[incident.pk])


def standing_of(obligation, now) -> str:
    """How early or late, in words and as the pages say it ("剩余 1小时12分", "超时 2小时5分")."""
    patterns = countdown_patterns()
    left = (obligation.due_at - now).total_seconds()
    if left <= 0:
        return patterns["overdue"] % {"duration": duration_text(-left, patterns)}
    return patterns["left"] % {"duration": duration_text(left, patterns)}


def digest_line(notification, now=None, clean=str) -> str:
    """One short line of a digest (bounded in length, so a digest's size is bounded by its count);
    ``clean`` as for ``compose``."""
    now = now or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        return "- {person}：{title} · {obligation} · {standing}".format(
            person=clean(str(notification.recipient)[:20]),
            title=clean(" ".join(notification.incident.title.split())[:30]),
            obligation=notification.obligation.get_kind_display(),
            standing=standing_of(notification.obligation, now),
        )


def compose(notification, now=None, *, personal=True, clean=str, acknowledgement_line=True) -> tuple[str, str]:
    """Subject and body: what is due, for which incident, how early or late, and the links.

    Only a ``personal`` message (one that reaches the recipient alone: email, SMS, work messages)
    carries the recipient's acknowledgement link, which acknowledges as them without a sign-in; a
    group message links to the incident page, which needs one. ``clean`` is applied to the text that
    comes from people and intake (titles, names), so that a provider interpreting markdown or
    mentions shows it as typed. Without ``acknowledgement_line`` the link is left out of the text, for a
    message that carries it as a button (work messages).
    """
    now = now or timezone.now()
    incident, obligation = notification.incident, notification.obligation
    title = clean(incident.title)
    with translation.override(settings.LANGUAGE_CODE):
        due_local = timezone.localtime(obligation.due_at, BEIJING)
        standing = standing_of(obligation, now)
        subject = _("[Response deadline] %(severity)s · %(title)s · %(obligation)s %(standing)s") % {
            "severity": incident.get_severity_display(),
            "title": title,
            "obligation": obligation.get_kind_display(),
            "standing": standing,
        }
        subject = " ".join(subject.split())  # a header is one line, whatever the title holds
        lines = [
            _("Incident: %(title)s") % {"title": title},
            _("Severity: %(severity)s") % {"severity": incident.get_severity_display()},
            _("Responsible department: %(department)s") % {"department": clean(str(incident.department))},
            _("Obligation: %(obligation)s") % {"obligation": obligation.get_kind_display()},
            _("Deadline: %(due)s (Beijing time)") % {"due": due_local.strftime("%Y-%m-%d %H:%M")},
            _("Standing: %(standing)s") % {"standing": standing},
            _("Escalation step: %(step)s") % {"step": step_label(notification.step)},
            "",
            _("Open the incident: %(url)s") % {"url": incident_url(incident)},
        ]
        if personal and acknowledgement_line:
            lines.append(_("Acknowledge (I have seen this): %(url)s") % {"url": acknowledgement_url(notification)})
        elif not personal:
            lines.append(_("Sign in to the tracker to acknowledge it under My escalations."))
    return subject, "\n".join(lines)
