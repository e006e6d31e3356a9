"""The receiver process's main thread keeps reading acks even when it cannot send.

Regression: it once sent a counters frame after each ack. With the ingest process not
reading (its inbox full) that send blocked, acks piled up unread, the ingest writer
blocked sending the next ack, and nothing ever drained the inbox: a deadlock seen in a
100k-message burst on PostgreSQL. Here the receiver runs in a thread of the test, on a
real socketpair and a real Mosquitto, with its outgoing direction full.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator

import pytest

from app.ingest import receiver as receiver_module
from app.ingest.channel import Channel
from app.ingest.consumer import ConsumerSettings
from app.ingest.receiver import Receiver, ReceiverConfig
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

pytestmark = pytest.mark.mqtt


class ParentGone(SystemExit):
    pass


@pytest.fixture
def stalled_pair(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[socket.socket, Channel]]:
    """(our end, the receiver's channel) with the receiver→us direction already full."""
    def gone() -> None:
        raise ParentGone(3)  # in place of os._exit, which would end pytest

    monkeypatch.setattr(receiver_module, "_parent_gone", gone)
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    try:
        while True:
            theirs.send(b"\0" * 65536)
    except BlockingIOError:
        pass
    theirs.setblocking(True)
    channel = Channel(theirs)
    yield ours, channel
    # The test stopped the receiver's threads already: nothing calls _parent_gone late.
    channel.close()
    ours.close()


# The receiver's threads end by raising ParentGone (our stand-in for os._exit).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_acks_are_read_while_the_ingest_process_is_not_reading(
    broker: MosquittoBroker, stalled_pair: tuple[socket.socket, Channel]
) -> None:
    ours, channel = stalled_pair
    cfg = ReceiverConfig(
        settings=ConsumerSettings(host=broker.host, port=broker.port,
                                  client_id="unit-receiver", shared=False),
        max_queue=10, generation_base=0, parent_pid=os.getppid(),
    )
    receiver = Receiver(cfg, channel)
    runner = threading.Thread(target=receiver.run, daemon=True)
    runner.start()
    try:
        # Acks for a connection that is not current: each is skipped and counted, which
        # is what used to trigger the send. 4 MB of them, far more than socket buffers.
        ack_frame = ("ack", [(999, mid, 1) for mid in range(1, 1001)])
        ours_channel = Channel(ours)
        sender = threading.Thread(
            target=lambda: [ours_channel.send(ack_frame) for _ in range(400)], daemon=True)
        sender.start()
        wait_for(lambda: not sender.is_alive(), 30,
                 message=lambda: f"acks still unread; skipped so far "
                                 f"{receiver.stats.counts['ack_skipped']}")
        wait_for(lambda: receiver.stats.counts["ack_skipped"] == 400_000, 10)
    finally:
        receiver._done.set()
        # Shutting the socket down wakes every blocked read and send (paho's thread is
        # stuck sending its connection state); the threads then end, the main and
        # forwarder ones through the patched _parent_gone.
        ours.shutdown(socket.SHUT_RDWR)
        receiver.consumer.client.disconnect()
        receiver.consumer.client.loop_stop()
        runner.join(10)
        receiver._forwarder.join(10)
        assert not runner.is_alive() and not receiver._forwarder.is_alive()
