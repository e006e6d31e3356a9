"""The framed channel between ingest and its receiver process (a real socketpair)."""

from __future__ import annotations

import socket
import threading

import pytest

from app.ingest.channel import Channel


def pair() -> tuple[Channel, Channel]:
    a, b = socket.socketpair()
    return Channel(a), Channel(b)


def test_frames_arrive_whole_and_in_order_even_when_large() -> None:
    left, right = pair()
    big = [("aed/v1/gw/g/dev/d/telemetry", bytes(range(256)) * 64, 1.5, 16384, n, 1, 7)
           for n in range(200)]  # ~3 MB: more than a socket buffer, so sendall blocks

    def send_both() -> None:
        left.send(("msgs", big))
        left.send(("x", 1))

    sender = threading.Thread(target=send_both)
    sender.start()
    assert right.recv() == ("msgs", big)
    assert right.recv() == ("x", 1)
    sender.join(5)
    left.close()
    right.close()


def test_a_closed_peer_reads_as_eof() -> None:
    left, right = pair()
    left.send(("ack", [(1, 2, 1)]))
    left.close()
    assert right.recv() == ("ack", [(1, 2, 1)])
    with pytest.raises(EOFError):
        right.recv()
    right.close()


def test_a_frame_cut_short_is_eof_not_garbage() -> None:
    a, b = socket.socketpair()
    a.sendall(b"\x00\x00\x01\x00" + b"partial")  # announces 256 bytes, sends 7
    a.close()
    channel = Channel(b)
    with pytest.raises(EOFError):
        channel.recv()
    channel.close()
