"""Emailing a sent bulletin to its recipients, with both documents attached, once the sending is committed.

Each copy records what happened to its email: ``sent`` once the mail server accepted it, ``no_address`` for a
leader without an address, ``failed`` with the error otherwise (a server that is down, an address refused).
The report itself stays sent and recorded whatever the mail does: the copy in the inbox still reaches them.
"""

import logging
from contextlib import suppress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ..models import Bulletin, BulletinCopy
from .content import issue_of, stored_file_name, title_of
from .documents import FORMATS

logger = logging.getLogger(__name__)


def document_url(bulletin, extension="pdf") -> str:
    """The tracker's own download, which marks the recipient's copy read."""
    return settings.SITE_URL.rstrip("/") + reverse("web:bulletin_document", args=[bulletin.pk, extension])


def attachments_of(bulletin) -> list[tuple[str, bytes, str]]:
    found = []
    for extension, form in FORMATS.items():
        with getattr(bulletin, extension).open("rb") as stored:
            found.append((stored_file_name(bulletin, extension), stored.read(), form.content_type))
    return found


def message_for(copy: BulletinCopy, attachments, connection) -> EmailMessage:
    bulletin = copy.bulletin
    name = f"{title_of(bulletin.follow_up)}{issue_of(bulletin.number)}"
    subject = _("%(name)s: %(subject)s") % {"name": name, "subject": bulletin.incident.title}
    body = "\n".join(
        [
            _("%(person)s:") % {"person": copy.recipient},
            _("%(government)s sends you %(name)s about “%(subject)s”; the Word and PDF documents are attached.")
            % {"government": bulletin.government.name, "name": name, "subject": bulletin.incident.title},
            _("Open it in the tracker (it is then marked as read): %(url)s") % {"url": document_url(bulletin)},
        ]
    )
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return EmailMessage(
        subject=" ".join(subject.split()),  # a header is one line, whatever the title holds
        body=body,
        to=[copy.recipient.email],
        attachments=attachments,
        connection=connection,
        headers={"Message-ID": f"<bulletin-copy-{copy.pk}@{domain}>"},
    )


def email_copies(bulletin_id: int) -> None:
    """Email every copy still pending, one message per recipient, and record each outcome."""
    bulletin = Bulletin.objects.select_related("incident", "government").get(pk=bulletin_id)
    copies = list(bulletin.copies.filter(email=BulletinCopy.Email.PENDING).select_related("recipient"))
    with translation.override(settings.LANGUAGE_CODE):
        attachments = attachments_of(bulletin)
        connection = get_connection(fail_silently=False)
        try:
            for copy in copies:
                copy.bulletin = bulletin
                outcome, error = deliver(copy, attachments, connection)
                BulletinCopy.objects.filter(pk=copy.pk).update(email=outcome, email_error=error)
        finally:
            with suppress(OSError):  # a server gone away while closing: the outcomes are recorded already
                connection.close()


def deliver(copy, attachments, connection) -> tuple[str, str]:
    if not copy.recipient.email:
        return BulletinCopy.Email.NO_ADDRESS, ""
    try:
        message_for(copy, attachments, connection).send(fail_silently=False)
    except Exception as error:  # after the commit nothing may undo the report: record whatever went wrong
        logger.warning("Emailing bulletin copy %s failed: %r", copy.pk, error)
        return BulletinCopy.Email.FAILED, str(error) or type(error).__name__
    return BulletinCopy.Email.SENT, ""
