"""Real receivers for every notification test: an SMTP server and a robot webhook."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notify.receivers import MailBox, WebhookReceiver, smtp_server


@pytest.fixture
def mail() -> Iterator[tuple[int, MailBox]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()
