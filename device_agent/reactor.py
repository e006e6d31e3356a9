"""Drive many GatewayRuntimes from one thread with a selector (no thread per client)."""

from __future__ import annotations

import contextlib
import logging
import math
import selectors
import socket
import time
from collections.abc import Sequence
from typing import Any

from device_agent.gateway import GatewayRuntime
from device_agent.outbox import OutboxStore

log = logging.getLogger("device_agent.reactor")

MAX_WAIT_S = 1.0
TIMER_SLACK_S = 0.005


class Reactor:
    def __init__(self, store: OutboxStore, runtimes: Sequence[GatewayRuntime]) -> None:
        self.store = store
        self.runtimes = list(runtimes)
        self.selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._registered: dict[int, tuple[Any, int]] = {}  # id(runtime) -> (sock, mask)
        self.stop_requested = False
        self.quiesce_requested = False

    def request_stop(self) -> None:
        """Safe from a signal handler or another thread."""
        self.stop_requested = True
        self._wake()

    def request_quiesce(self) -> None:
        """Stop taking readings, keep delivering the outboxes (signal-safe)."""
        self.quiesce_requested = True
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # buffer full: a wake-up is already pending
            self._wake_w.send(b"x")

    def run(self) -> None:
        stopping = False
        runtimes = self.runtimes
        # Deadlines change only for runtimes that were ticked: recompute just those, so
        # an iteration costs O(active), not O(fleet).
        deadlines = [rt.deadline() for rt in runtimes]
        index = {id(rt): i for i, rt in enumerate(runtimes)}
        next_done_check = 0.0
        quiet = False
        try:
            while True:
                now = time.monotonic()
                if self.quiesce_requested and not quiet:
                    quiet = True
                    for i, rt in enumerate(runtimes):
                        rt.quiesce()
                        deadlines[i] = rt.deadline()
                if self.stop_requested and not stopping:
                    stopping = True
                    for i, rt in enumerate(runtimes):
                        rt.begin_stop(now)
                        deadlines[i] = rt.deadline()
                if stopping or now >= next_done_check:
                    next_done_check = now + MAX_WAIT_S
                    if all(rt.done for rt in runtimes):
                        return
                soonest = min(deadlines, default=math.inf)
                timeout = max(0.0, min(MAX_WAIT_S, soonest - now))
                if 0.0 < timeout < TIMER_SLACK_S:
                    timeout = TIMER_SLACK_S  # batch nearby timers instead of spinning
                touched: set[int] = set()
                for key, mask in self.selector.select(timeout):
                    rt = key.data
                    if rt is None:
                        self._drain_wake()
                        continue
                    if mask & selectors.EVENT_READ:
                        rt.on_readable()
                    if mask & selectors.EVENT_WRITE:
                        rt.on_writable()
                    touched.add(index[id(rt)])
                now = time.monotonic()
                due = touched.union(i for i, d in enumerate(deadlines) if d <= now)
                active = [i for i in sorted(due) if not runtimes[i].done]
                for i in active:
                    runtimes[i].tick(now)
                self.store.commit()
                for i in active:
                    rt = runtimes[i]
                    rt.after_commit()
                    if rt.want_write():
                        rt.on_writable()
                    self._sync(rt)
                    deadlines[i] = rt.deadline()
                for i in due.difference(active):
                    deadlines[i] = math.inf  # done
        finally:
            for rt in runtimes:
                rt.close()
            self.store.commit()
            self.selector.close()
            self._wake_r.close()
            self._wake_w.close()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _sync(self, rt: GatewayRuntime) -> None:
        """Keep the selector's view of this runtime's socket and write interest current."""
        sock = rt.socket()
        mask = selectors.EVENT_READ | (selectors.EVENT_WRITE if rt.want_write() else 0)
        old = self._registered.get(id(rt))
        if old is not None and old[0] is sock and old[1] == mask:
            return
        if old is not None:
            with contextlib.suppress(KeyError, ValueError, OSError):  # paho closed it
                self.selector.unregister(old[0])
            del self._registered[id(rt)]
        if sock is not None:
            self.selector.register(sock, mask, rt)
            self._registered[id(rt)] = (sock, mask)
