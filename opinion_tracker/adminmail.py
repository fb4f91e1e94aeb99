"""Error mail to the administrators: sent by a background thread, at most once per error per window.

Django's ``AdminEmailHandler`` sends from the thread that logged the error, so every 5xx answer waited
for the mail server: in an outage each answer (each ``/healthz`` 503 among them) was a mail, and with a
slow mail server a few health probes held every gunicorn worker. Here the request thread only decides
whether to mail and renders the report, and a thread of the process's own sends it.

The report is rendered in the request thread, not handed to a ``logging.handlers.QueueListener``
as a record: the traceback's frames and the request are only safe to read while the request is still
being answered; a record queued for another thread would be read after the request is gone.
"""

import atexit
import contextlib
import functools
import logging
import os
import queue
import threading
from copy import copy
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.log import AdminEmailHandler

logger = logging.getLogger(__name__)  # not under "django": its warnings are never mailed themselves

# Mails waiting to be sent, at most; more are dropped (and logged) while the mail server is stuck.
QUEUE_SIZE = 100
# How long an exiting process gives the mails still queued to go out.
EXIT_GRACE_SECONDS = 5


class Outbox:
    """One daemon thread per process that sends what is queued, in order.

    The thread starts with the first mail, not at import, and each process has its own: gunicorn forks
    its workers from a master that has read the settings (and, with ``--preload``, configured logging),
    and a fork copies no thread. After a fork the child forgets the parent's thread, queue and lock
    (``os.register_at_fork``): the queue's items belong to the parent, and a lock held by another of the
    parent's threads at the moment of the fork would stay held in the child forever.
    """

    def __init__(self):
        self._forget()
        os.register_at_fork(after_in_child=self._forget)
        atexit.register(self.close, EXIT_GRACE_SECONDS)

    def _forget(self):
        self.lock = threading.Lock()
        self.queue = queue.Queue(maxsize=QUEUE_SIZE)
        self.thread = None

    def put(self, send) -> None:
        """Queue ``send`` (a callable) to be called by the outbox's thread; never waits."""
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, args=(self.queue,), name="admin-mail", daemon=True)
                self.thread.start()
        try:
            self.queue.put_nowait(send)
        except queue.Full:
            logger.warning("An error mail to the administrators was dropped: %d are waiting already.", QUEUE_SIZE)

    @staticmethod
    def _run(waiting: queue.Queue) -> None:
        while (send := waiting.get()) is not None:
            try:
                send()
            except Exception:
                logger.exception("An error mail to the administrators could not be sent.")

    def close(self, timeout: float) -> None:
        """Let the queued mails go out, for at most ``timeout`` seconds (a daemon thread would
        otherwise die with the process, its queue unsent)."""
        if self.thread is not None:
            with contextlib.suppress(queue.Full):
                self.queue.put(None, timeout=timeout)
            self.thread.join(timeout)


outbox = Outbox()


def error_key(record: logging.LogRecord) -> tuple:
    """What makes two errors "the same": the exception's type and the line that raised it (whatever the
    URL or the ids in the message), or the message itself for an error answer without an exception."""
    if record.exc_info and record.exc_info[2] is not None:
        exc_type, _exc, traceback = record.exc_info
        while traceback.tb_next is not None:
            traceback = traceback.tb_next
        return (record.name, exc_type.__qualname__, traceback.tb_frame.f_code.co_filename, traceback.tb_lineno)
    return (record.name, record.getMessage())


class QueuedAdminEmailHandler(AdminEmailHandler):
    """``AdminEmailHandler`` that never waits for SMTP (``outbox``), never mails for ``/healthz`` (a
    monitor polls it and raises its own alarm) and mails one error at most once per
    ``ADMIN_ERROR_MAIL_WINDOW_SECONDS``, counting the repeats it did not mail into the next mail.

    The counts are per process (each gunicorn worker mails an error once per window): shared counts
    would need Redis or the database, and either may be what is failing.
    ``logging.Handler.handle`` holds the handler's lock around ``emit``, which is what keeps ``mailed``
    consistent between threads; ``logging`` renews that lock in a forked child.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mailed = {}  # error key -> (when it was last mailed, repeats not mailed since)

    def emit(self, record):
        if not settings.ADMINS or self.is_health_check(record):
            return
        now, key = timezone.now(), error_key(record)
        self.forget_quiet_errors(now)
        mailed_at, repeats = self.mailed.get(key, (None, 0))
        if mailed_at is not None and now - mailed_at < self.window():
            self.mailed[key] = (mailed_at, repeats + 1)
            return
        self.mailed[key] = (now, 0)
        record = copy(record)
        record.repeats_not_mailed, record.last_mailed_at = repeats, mailed_at
        super().emit(record)

    def format(self, record):
        text = super().format(record)
        if record.repeats_not_mailed:
            since = timezone.localtime(record.last_mailed_at).strftime("%Y-%m-%d %H:%M:%S")
            text += f"\n\nThe same error happened {record.repeats_not_mailed} more times, not mailed, since {since}."
        return text

    def send_mail(self, subject, message, *args, **kwargs):
        outbox.put(functools.partial(mail.mail_admins, subject, message, *args, connection=self.connection(), **kwargs))

    @staticmethod
    def is_health_check(record) -> bool:
        request = getattr(record, "request", None)
        return request is not None and getattr(request, "path_info", None) == reverse("healthz")

    @staticmethod
    def window() -> timedelta:
        return timedelta(seconds=settings.ADMIN_ERROR_MAIL_WINDOW_SECONDS)

    def forget_quiet_errors(self, now) -> None:
        """Drop errors whose window has ended with no repeat to report, so the table stays small."""
        for key, (mailed_at, repeats) in list(self.mailed.items()):
            if not repeats and now - mailed_at >= self.window():
                del self.mailed[key]
