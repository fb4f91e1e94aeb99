"""Connections kept open through one thread's share of a delivery batch, instead of one made for every message.

A batch (``notifications.batches``) is sent by a few threads at once; within ``kept_open()`` the
HTTP calls a thread makes share one urllib3 pool (keep-alive) and its mails one SMTP connection. They
live only as long as that share of the batch, seconds: a connection kept longer may have been closed by the
server as idle, and a send on it could fail in a way that cannot be told from a message lost on its way. Only
channels whose receivers drop a repeat, or that may repeat once, are sent in batches (``Channel.sent_in_batches``).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import unquote

import urllib3
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend


class KeptOpen:
    """One thread's connections: the HTTP pool and the mail connection, each made once a send needs it."""

    def __init__(self):
        self.pool: urllib3.PoolManager | None = None
        self.mail: BaseEmailBackend | None = None

    def http_pool(self) -> urllib3.PoolManager:
        """Made at the first call, inside it: a proxy that cannot be used fails that call, as it fails a call alone."""
        if self.pool is None:
            self.pool = outbound_pool()
        return self.pool

    def mail_connection(self, timeout: float | None) -> BaseEmailBackend:
        if self.mail is None:
            # Opened here, so that each message's ``send_messages`` finds it open and leaves it so.
            self.mail = get_connection(fail_silently=False, timeout=timeout)
            self.mail.open()
        return self.mail

    def drop_mail_connection(self) -> None:
        """After a failed mail the connection may be dead or mid-conversation: the next mail opens another."""
        if self.mail is not None:
            self.mail.close()
            self.mail = None

    def close(self) -> None:
        self.drop_mail_connection()
        if self.pool is not None:
            self.pool.clear()


KEPT: ContextVar[KeptOpen | None] = ContextVar("connections_kept_open", default=None)


@contextmanager
def kept_open() -> Iterator[KeptOpen]:
    kept = KeptOpen()
    token = KEPT.set(kept)
    try:
        yield kept
    finally:
        KEPT.reset(token)
        kept.close()


def outbound_pool() -> urllib3.PoolManager:
    """Connections to the providers, through ``OUTBOUND_PROXY`` when one is set: the one proxy the tracker uses
    (``HTTP(S)_PROXY`` variables are not read), given as ``http://user:password@proxy:3128`` or ``proxy:3128``
    (``http://`` assumed, as before). TLS is verified against the system's certificate store, where an intranet's
    own authority (for 政务钉钉 or an SMS platform inside it) is installed."""
    if not settings.OUTBOUND_PROXY:
        return urllib3.PoolManager()
    proxy = settings.OUTBOUND_PROXY if "://" in settings.OUTBOUND_PROXY else f"http://{settings.OUTBOUND_PROXY}"
    url = urllib3.util.parse_url(proxy)
    credentials = ":".join(unquote(part) for part in url.auth.split(":", 1)) if url.auth else None
    return urllib3.ProxyManager(
        url._replace(auth=None).url,
        proxy_headers=urllib3.make_headers(proxy_basic_auth=credentials) if credentials else None,
    )


@contextmanager
def http_pool() -> Iterator[urllib3.PoolManager]:
    """The kept pool within ``kept_open()``; elsewhere a pool of the call's own (a connection per call)."""
    kept = KEPT.get()
    if kept is not None:
        yield kept.http_pool()
        return
    pool = outbound_pool()
    try:
        yield pool
    finally:
        pool.clear()


def kept() -> KeptOpen | None:
    return KEPT.get()
