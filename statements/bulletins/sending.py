"""Sending a bulletin to leaders: numbered, written as Word and PDF, recorded as the internal report it is
(its PDF the evidence, meeting the internal report obligation), each recipient given a copy in their inbox
and reading of the incident, all in one transaction; the emails go once it is committed (``mail``).
"""

from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from incidents.access import Caller, subtree_ids
from incidents.models import ActionKind, Incident, IncidentReader, Person, Role, TimelineEvent
from incidents.services.actions import record_action
from incidents.services.locks import lock_incident
from incidents.services.obligations import NON_FIELD
from incidents.services.timeline import record_event
from opinion_tracker.lib.validation import LARGEST_ID, Errors

from ..deciders import may_publish
from ..models import Bulletin, BulletinCopy
from .content import BulletinContent, gather
from .documents import FORMATS
from .mail import email_copies
from .numbering import government_of, is_follow_up, issue_year, take_number

MAX_RECIPIENTS = 50
MAX_ADVICE = 2000


def leaders_for(incident):
    """Whom a bulletin about the incident may go to: the leaders of its government's departments (the
    government whose series numbers it), the government's own included."""
    government = government_of(incident)
    if government is None:
        return Person.objects.none()
    leaders = Person.objects.filter(groups__name=Role.LEADER, is_active=True, department__in=subtree_ids(government.pk))
    return leaders.select_related("department").order_by("department__code", "username")


def check_recipients(errors: Errors, incident, recipients) -> list[Person]:
    """A non-empty list of distinct person ids, each a leader the bulletin may go to, in the order given.
    Unknown ids and people who are not such leaders get the same answer, so a body never tells whether
    someone outside the incident's government exists."""
    if not isinstance(recipients, list) or not recipients:
        errors.add("recipients", _("Choose at least one leader to send it to."))
        return []
    if any(isinstance(pk, bool) or not isinstance(pk, int) for pk in recipients):
        errors.add("recipients", _("Name each recipient by their person id (a number)."))
        return []
    if len(recipients) > MAX_RECIPIENTS:
        errors.add("recipients", _("Send it to at most %(limit)d leaders at once.") % {"limit": MAX_RECIPIENTS})
        return []
    if len(set(recipients)) != len(recipients):
        errors.add("recipients", _("Name each recipient once."))
    storable = [pk for pk in recipients if 0 < pk <= LARGEST_ID]  # any other number is nobody's id
    found = {person.pk: person for person in leaders_for(incident).filter(pk__in=storable)}
    strangers = [str(pk) for pk in dict.fromkeys(recipients) if pk not in found]
    if strangers:
        errors.add(
            "recipients",
            _("Not leaders of this incident's government, to whom it can be sent: %(ids)s.")
            % {"ids": ", ".join(strangers)},
        )
    return [found[pk] for pk in dict.fromkeys(recipients) if pk in found]


def send_errors(incident, recipients, advice) -> tuple[Errors, list[Person]]:
    errors = Errors()
    if incident.state == Incident.State.CLOSED:
        errors.add(NON_FIELD, _("The incident is closed; no more reports are sent about it."))
    if government_of(incident) is None:
        errors.add(NON_FIELD, _("The lead department is under no government, whose series would number the report."))
    people = check_recipients(errors, incident, recipients)
    if not isinstance(advice, str):
        errors.add("advice", _("Give the advice as text."))
    elif len(advice) > MAX_ADVICE:
        errors.add(
            "advice",
            _("At most %(limit)d characters (this has %(length)d).") % {"limit": MAX_ADVICE, "length": len(advice)},
        )
    return errors, people


def ensure_may_send(caller: Caller, incident) -> None:
    """The lead's duty officers (and administrators) send its bulletins, as they record its actions."""
    if not may_publish(caller, incident):
        raise PermissionDenied(_("Only the lead department's duty officers send its reports to leaders."))


def send_bulletin(incident, *, recipients, advice="", actor, now) -> Bulletin:
    """Send the next bulletin about ``incident`` to ``recipients`` (person ids), with the sender's ``advice``
    under 处置建议."""
    ensure_may_send(Caller.of(actor), incident)
    errors, people = send_errors(incident, recipients, advice)
    errors.raise_if_any()
    government, year = government_of(incident), issue_year(now)
    with transaction.atomic():
        number = take_number(government, year)  # the government first, then the incident: always this order
        incident = lock_incident(incident)
        names = [str(person) for person in people]
        content = gather(
            incident,
            number=number,
            year=year,
            follow_up=is_follow_up(incident),
            now=now,
            government=government,
            recipients=names,
            advice=advice,
        )
        files = {extension: form.render(content) for extension, form in FORMATS.items()}
        action = record_action(
            incident,
            kind=ActionKind.INTERNAL_REPORT,
            published_at=now,
            now=now,
            actor=actor,
            evidence_file=ContentFile(files["pdf"], name=content.file_name("pdf")),
            summary=summary_of(content, names),
        )
        bulletin = store(content, files, incident=incident, government=government, action=action, actor=actor, now=now)
        BulletinCopy.objects.bulk_create(BulletinCopy(bulletin=bulletin, recipient=person) for person in people)
        for person in people:  # so that they can open the incident from the report
            IncidentReader.objects.get_or_create(incident=incident, person=person, defaults={"granted_at": now})
        record_event(
            incident,
            TimelineEvent.Kind.BULLETIN_SENT,
            now,
            actor,
            bulletin=bulletin.pk,
            title=content.title,
            number=number,
            recipients=names,
        )
        transaction.on_commit(partial(email_copies, bulletin.pk))
    return bulletin


def summary_of(content: BulletinContent, names) -> str:
    """The internal report's summary: 舆情专报第1期 送：王市长、李秘书长."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(title)s %(issue)s to: %(names)s") % {
            "title": content.title,
            "issue": content.issue,
            "names": "、".join(names),
        }


def store(content: BulletinContent, files: dict[str, bytes], *, incident, government, action, actor, now) -> Bulletin:
    bulletin = Bulletin(
        government=government,
        year=content.year,
        number=content.number,
        incident=incident,
        follow_up=content.follow_up,
        action=action,
        sent_by=actor,
        sent_at=now,
    )
    for extension in FORMATS:
        getattr(bulletin, extension).save(content.file_name(extension), ContentFile(files[extension]), save=False)
    bulletin.save()
    return bulletin
