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
from .base import Channel, PermanentError, TransientError, UnknownOutcome
from .smtp import AnswerLost


def message_id(notification) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<notification-{notification.pk}@{domain}>"


class EmailChannel(Channel):
    repeats_after_unknown = 1

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
        message = EmailMessage(
            subject=subject,
            body=body,
            to=[notification.recipient.email],
            headers={"Message-ID": message_id(notification)},
        )
        try:
            sent = message.send(fail_silently=False)
        except AnswerLost as error:
            raise UnknownOutcome(
                _("The mail server did not answer in time; it may have accepted the message (%(error)s).")
                % {"error": error}
            ) from error
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _message in error.recipients.values()]
            permanent = all(code >= 500 for code in codes)
            raise (PermanentError if permanent else TransientError)(
                _("The mail server refused the address."), repr(error.recipients)
            ) from error
        except smtplib.SMTPDataError as error:
            answer = f"{error.smtp_code} {error.smtp_error!r}"
            raise (PermanentError if error.smtp_code >= 500 else TransientError)(str(error), answer) from error
        except smtplib.SMTPResponseException as error:
            raise TransientError(str(error), f"{error.smtp_code} {error.smtp_error!r}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientError(str(error) or type(error).__name__) from error
        if not sent:
            raise PermanentError(_("The message had no recipient."))
        return message_id(notification)
