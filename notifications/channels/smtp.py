"""Django's SMTP backend, telling a message the server never answered for from one it never got.

Once the message has gone to the server (the ``DATA`` command), a timeout or a dropped connection
leaves the outcome unknown: the server may well have queued it, as one that answers 250 after the
client gave up does. Sending it again would deliver it twice, so that case is raised as
``AnswerLost``, apart from failures before ``DATA``, after which nothing was sent. Set as
``EMAIL_BACKEND`` in place of Django's own whenever email goes out by SMTP.
"""

import smtplib

from django.core.mail.backends import smtp


class AnswerLost(smtplib.SMTPException):
    """The message went to the server, and its answer never came."""


class TrackingSMTP(smtplib.SMTP):
    """Notes when the message itself starts going out (``body_sent``)."""

    body_sent = False

    def data(self, msg):
        self.body_sent = True
        return super().data(msg)


class TrackingSMTPSSL(TrackingSMTP, smtplib.SMTP_SSL):
    """The same over SSL: ``SMTP_SSL`` makes the connection, ``TrackingSMTP`` notes the message."""


def connection_answered(connection, error: smtplib.SMTPResponseException) -> bool:
    """Whether ``error`` is the server's own answer: before the message, any; after it, a real 4xx or 5xx, not what
    smtplib makes up for a reply it could not read (-1, or 500 "Line too long."), after which the server may well
    have kept the message."""
    if not (isinstance(connection, TrackingSMTP) and connection.body_sent):
        return True
    return 400 <= error.smtp_code < 600 and error.smtp_error != b"Line too long."


class EmailBackend(smtp.EmailBackend):
    @property
    def connection_class(self):
        return TrackingSMTPSSL if self.use_ssl else TrackingSMTP

    def _send(self, email_message):
        connection = self.connection
        if isinstance(connection, TrackingSMTP):
            connection.body_sent = False
        try:
            return super()._send(email_message)  # type: ignore[misc]  # Django's, not in its stubs
        except smtplib.SMTPResponseException as error:
            if connection_answered(connection, error):
                raise  # the server answered (a 451 or 554 after the message): a refusal, not a lost answer
            raise AnswerLost(str(error)) from error
        except (OSError, smtplib.SMTPServerDisconnected) as error:  # smtplib's errors are OSErrors too
            if isinstance(connection, TrackingSMTP) and connection.body_sent:
                raise AnswerLost(str(error) or type(error).__name__) from error
            raise

    def close(self):
        """Close, even when the server no longer answers: a ``QUIT`` that times out must not hide
        what happened to the message."""
        try:
            super().close()
        except OSError:
            self.connection = None
