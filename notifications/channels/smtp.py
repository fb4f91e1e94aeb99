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
        except smtplib.SMTPResponseException:
            raise  # the server answered (a 451 or 554 after the message): a refusal, not a lost answer
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
