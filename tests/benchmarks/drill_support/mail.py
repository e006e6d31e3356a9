"""A real SMTP server (aiosmtpd, as tests/notify/receivers.py) that stamps each message
with its arrival time, so the drill can time alert → mailbox."""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from tests.notify.receivers import smtp_serving


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


def smtp_server() -> AbstractContextManager[tuple[int, TimedMailBox]]:
    return smtp_serving(TimedMailBox())
