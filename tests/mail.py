"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

import asyncio
import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mailbox:
    """The messages received; addresses in ``refuse`` are answered 550 (no such user), those in
    ``greylist`` 451 once (try again later).

    With ``stall_first``, the first message is held at the end of DATA (``stalled`` is set) until
    ``release`` is set, then turned away with 451: a sender that dies meanwhile delivered nothing.
    With ``answer_after``, every message is kept at once and its 250 comes that many seconds later,
    like a slow server that accepts what the client stopped waiting for. ``greetings`` counts the EHLOs:
    the connections senders opened.
    """

    messages: list = field(default_factory=list)
    refuse: set = field(default_factory=set)
    greylist: set = field(default_factory=set)
    received: threading.Event = field(default_factory=threading.Event)
    port: int = 0
    stall_first: bool = False
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    answer_after: float = 0
    greetings: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.greetings += 1
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        if address in self.greylist:
            self.greylist.discard(address)
            return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stall_first and not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        self.received.set()
        await asyncio.sleep(self.answer_after)
        return "250 Message accepted for delivery"

    def to(self, address) -> list:
        return [message for message in self.messages if address in message["To"]]


def start_smtp_server(mailbox: Mailbox, port: int) -> Controller:
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller
