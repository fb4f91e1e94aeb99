"""The text of an escalation message, in the site's language (Simplified Chinese by default)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from incidents.services.calendar import BEIJING
from incidents.web.clocks import countdown_patterns, duration_text

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


def digest_line(notification, now=None) -> str:
    """One short line of a digest (bounded in length, so a digest's size is bounded by its count)."""
    now = now or timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        return "- {person}：{title} · {obligation} · {standing}".format(
            person=str(notification.recipient)[:20],
            title=" ".join(notification.incident.title.split())[:30],
            obligation=notification.obligation.get_kind_display(),
            standing=standing_of(notification.obligation, now),
        )


def compose(notification, now=None) -> tuple[str, str]:
    """Subject and body: what is due, for which incident, how early or late, and the links."""
    now = now or timezone.now()
    incident, obligation = notification.incident, notification.obligation
    with translation.override(settings.LANGUAGE_CODE):
        due_local = timezone.localtime(obligation.due_at, BEIJING)
        standing = standing_of(obligation, now)
        subject = _("[Response deadline] %(severity)s · %(title)s · %(obligation)s %(standing)s") % {
            "severity": incident.get_severity_display(),
            "title": incident.title,
            "obligation": obligation.get_kind_display(),
            "standing": standing,
        }
        subject = " ".join(subject.split())  # a header is one line, whatever the title holds
        lines = [
            _("Incident: %(title)s") % {"title": incident.title},
            _("Severity: %(severity)s") % {"severity": incident.get_severity_display()},
            _("Responsible department: %(department)s") % {"department": incident.department},
            _("Obligation: %(obligation)s") % {"obligation": obligation.get_kind_display()},
            _("Deadline: %(due)s (Beijing time)") % {"due": due_local.strftime("%Y-%m-%d %H:%M")},
            _("Standing: %(standing)s") % {"standing": standing},
            _("Escalation step: %(step)s") % {"step": step_label(notification.step)},
            "",
            _("Open the incident: %(url)s") % {"url": incident_url(incident)},
            _("Acknowledge (I have seen this): %(url)s") % {"url": acknowledgement_url(notification)},
        ]
    return subject, "\n".join(lines)
