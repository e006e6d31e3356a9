"""Framed messages between the ingest process and its MQTT receiver process.

A private socketpair between a parent and the child it started, so pickle is safe here:
nothing else can write to it. Each frame is a 4-byte length and a pickle.
"""

from __future__ import annotations

import contextlib
import pickle
import socket
import struct
import threading
from typing import Any

_HEADER = struct.Struct("!I")


class Channel:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        # A buffered reader turns many small frames into few recv() calls.
        self._rfile = sock.makefile("rb", buffering=1 << 16)
        self._send_lock = threading.Lock()

    def send(self, obj: Any) -> None:
        """Blocks while the peer is not reading: that is the backpressure."""
        data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        with self._send_lock:
            self._sock.sendall(_HEADER.pack(len(data)) + data)

    def recv(self) -> Any:
        """The next frame; EOFError once the peer has gone."""
        head = self._rfile.read(_HEADER.size)
        if len(head) < _HEADER.size:
            raise EOFError("channel closed")
        (size,) = _HEADER.unpack(head)
        data = self._rfile.read(size)
        if len(data) < size:
            raise EOFError("channel closed mid-frame")
        return pickle.loads(data)  # noqa: S301 (our own child, a private socketpair)

    def close(self) -> None:
        for closer in (self._rfile.close, lambda: self._sock.shutdown(socket.SHUT_RDWR),
                       self._sock.close):
            with contextlib.suppress(OSError):
                closer()
