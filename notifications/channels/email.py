"""Email through Django's configured backend (SMTP in production, through ``channels.smtp``).

The Message-ID is made from the notification id, so a message sent again after a lost answer is
recognisably the same message to the receiving server and to mail clients; clients that deduplicate
show it once. Others would show every copy, so a message whose answer was lost is sent again once
at most.
"""

import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

from ..messages import compose
from .base import Channel, DeliveryError, PermanentError, TransientError, UnknownOutcome
from .connections import kept
from .http import bounded
from .smtp import AnswerLost


def message_id(notification) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<notification-{notification.pk}@{domain}>"


class EmailChannel(Channel):
    repeats_after_unknown = 1
    sent_in_batches = True

    def longest_send(self) -> float:
        return settings.EMAIL_TIMEOUT

    def unreachable(self, person, directory=None):
        return None if person.email else _("No email address.")

    def send(self, notification) -> str:
        """Send the message; only an answer about the recipient or the message itself is permanent.

        Refusals of our own sender or credentials (a rotated password, say) and every 4xx answer are
        transient: fixing the configuration must let the waiting notifications through.
        """
        reason = self.unreachable(notification.recipient)
        if reason:
            raise PermanentError(reason)
        subject, body = compose(notification)
        try:
            sent = self.transmit(notification, subject, body)
        except Exception as error:
            meaning = delivery_error(error)
            if meaning is None:
                raise
            raise meaning from error
        if not sent:
            raise PermanentError(_("The message had no recipient."))
        return message_id(notification)

    def transmit(self, notification, subject, body) -> int:
        """Within a batch, over the thread's kept connection (``connections.kept_open``), dropped after any failure;
        one the server closed since the thread's last mail (servers cap the messages of a connection, and may say so
        with a 421) is opened again at once, since nothing of this message had gone out."""
        connections = kept()

        def once() -> int:
            try:
                return EmailMessage(
                    subject=subject,
                    body=body,
                    to=[notification.recipient.email],
                    headers={"Message-ID": message_id(notification)},
                    connection=connections.mail_connection(bounded(settings.EMAIL_TIMEOUT)) if connections else None,
                ).send(fail_silently=False)
            except Exception:
                if connections:
                    connections.drop_mail_connection()
                raise

        reused = connections is not None and connections.mail is not None
        try:
            return once()
        except (smtplib.SMTPServerDisconnected, ConnectionError, smtplib.SMTPSenderRefused) as error:
            # Before DATA (after it, ``AnswerLost``): the connection was closed, or closed with a 421 to MAIL.
            if not reused or (isinstance(error, smtplib.SMTPSenderRefused) and error.smtp_code != 421):
                raise
            return once()


def delivery_error(error: Exception) -> DeliveryError | None:
    """What a failed send means for the notification; ``None`` for an error of ours (neither SMTP nor the network)."""
    if isinstance(error, AnswerLost):
        return UnknownOutcome(
            _("The mail server did not answer in time; it may have accepted the message (%(error)s).")
            % {"error": error}
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        permanent = all(code >= 500 for code in codes)
        return (PermanentError if permanent else TransientError)(
            _("The mail server refused the address."), repr(error.recipients)
        )
    if isinstance(error, smtplib.SMTPDataError):
        answer = f"{error.smtp_code} {error.smtp_error!r}"
        return (PermanentError if error.smtp_code >= 500 else TransientError)(str(error), answer)
    if isinstance(error, smtplib.SMTPResponseException):
        return TransientError(str(error), f"{error.smtp_code} {error.smtp_error!r}")
    if isinstance(error, (smtplib.SMTPException, OSError)):
        return TransientError(str(error) or type(error).__name__)
    return None
