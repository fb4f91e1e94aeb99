"""Receivers that answer at once, for the delivery benchmark: an HTTP sink for the signed webhook and an SMTP sink.

    .venv/bin/python bench/_sinks.py HTTP_PORT SMTP_PORT [MAIL_DUMP]

Runs as a process of its own, so that its work is not counted in the sender's. The HTTP sink speaks just enough
HTTP/1.1 (keep-alive, ``Content-Length`` bodies) to answer every POST ``200 {"ok": true}``; ``GET /count`` answers
how many webhook deliveries and mails arrived, as ``{"webhook": N, "webhook_ids": N, "mail": N, "mail_ids": N}`` (the
distinct delivery ids and Message-IDs, so a repeat shows), and ``GET /reset`` sets them back to nothing first. The
SMTP sink is aiosmtpd, keeping only the counts. With ``MAIL_DUMP``, mail goes to another server on ``SMTP_PORT``
instead (Postfix's ``smtp-sink``, written in C, which appends every message to that file: ``bench/delivery.py
--smtp-sink``), and the mails are counted from the file.
"""

import asyncio
import json
import re
import sys
from pathlib import Path

from aiosmtpd.smtp import SMTP

COUNTS = {"webhook": 0, "mail": 0}
DELIVERY_IDS: set[bytes] = set()
MESSAGE_IDS: set[bytes] = set()
MESSAGE_ID = re.compile(rb"^Message-ID: (.+?)\r?$", re.MULTILINE | re.IGNORECASE)
DUMPED_MESSAGE = re.compile(rb"^X-Client-Addr: ", re.MULTILINE)
MAIL_DUMP: Path | None = None


class HttpSink(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""

    def data_received(self, data):
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            fields = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
            length = int(fields.get("Content-Length", fields.get("content-length", "0")))
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.answer(head[0], fields)

    def answer(self, request_line, fields):
        if request_line.startswith("GET /reset"):
            COUNTS.update(webhook=0, mail=0)
            DELIVERY_IDS.clear()
            MESSAGE_IDS.clear()
            if MAIL_DUMP is not None:
                MAIL_DUMP.unlink(missing_ok=True)
        if request_line.startswith(("GET /count", "GET /reset")):
            if MAIL_DUMP is not None:
                count_dumped_mail(MAIL_DUMP)
            body = json.dumps({**COUNTS, "webhook_ids": len(DELIVERY_IDS), "mail_ids": len(MESSAGE_IDS)}).encode()
        else:
            COUNTS["webhook"] += 1
            DELIVERY_IDS.add(fields.get("X-Opinion-Tracker-Delivery", "").encode())
            body = b'{"ok": true}'
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        )


class MailCounter:
    async def handle_DATA(self, server, session, envelope):
        COUNTS["mail"] += 1
        if found := MESSAGE_ID.search(envelope.original_content or envelope.content):
            MESSAGE_IDS.add(found.group(1))
        return "250 OK"


def count_dumped_mail(dump: Path) -> None:
    """smtp-sink starts each message it dumps with the client's address, then the message with its Message-ID."""
    dumped = dump.read_bytes() if dump.exists() else b""
    COUNTS["mail"] = len(DUMPED_MESSAGE.findall(dumped))
    MESSAGE_IDS.clear()
    MESSAGE_IDS.update(MESSAGE_ID.findall(dumped))


async def serve(http_port: int, smtp_port: int):
    loop = asyncio.get_running_loop()
    servers = [await loop.create_server(HttpSink, "127.0.0.1", http_port)]
    if MAIL_DUMP is None:
        servers.append(await loop.create_server(lambda: SMTP(MailCounter(), hostname="sink"), "127.0.0.1", smtp_port))
    await asyncio.gather(*(server.serve_forever() for server in servers))


if __name__ == "__main__":
    if len(sys.argv) > 3:
        MAIL_DUMP = Path(sys.argv[3])
    asyncio.run(serve(int(sys.argv[1]), int(sys.argv[2])))
