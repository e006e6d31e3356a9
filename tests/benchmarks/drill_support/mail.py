"""A real SMTP server (aiosmtpd, as tests/notify/receivers.py) that stamps each message
with its arrival time, so the drill can time alert → mailbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.postgres import free_port


def normalised(text: str) -> str:
    """Headers fold long subjects and the sender joins line breaks with spaces: compare
    texts with every run of white space as one space."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Mail:
    received: float  # time.time() when the DATA command completed
    subject: str
    body: str


class TimedMailBox:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = time.time()
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(("plain",))
        body = part.get_content() if part is not None else ""
        with self.lock:
            self.mails.append(Mail(received, normalised(str(parsed["Subject"] or "")),
                                   normalised(str(body))))
        return "250 OK"

    def snapshot(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)


@contextmanager
def smtp_server() -> Iterator[tuple[int, TimedMailBox]]:
    box = TimedMailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box
    finally:
        controller.stop()
