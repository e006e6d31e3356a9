"""The bounded hand-off from the MQTT network thread to the writer.

A deque with a wake-up event instead of queue.Queue: appending and popping a deque are
atomic without a lock, and the event is touched only when the writer sleeps, which saves
two lock round trips per message at thousands of messages a second.
"""

from __future__ import annotations

import collections
import threading
import time
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    def __init__(self, maxsize: int) -> None:
        self.maxsize = max(1, maxsize)
        self._items: collections.deque[T] = collections.deque()
        self._nonempty = threading.Event()
        self._room = threading.Event()
        self._room.set()

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def offer(self, item: T) -> bool:
        """Add unless full; never blocks (the network thread calls this)."""
        if len(self._items) >= self.maxsize:
            self._room.clear()
            if len(self._items) >= self.maxsize:  # the writer may have drained meanwhile
                return False
        self._items.append(item)
        if not self._nonempty.is_set():
            self._nonempty.set()
        return True

    def put(self, item: T, timeout: float) -> bool:
        """Add, waiting up to `timeout` for room; False if still full."""
        deadline = time.monotonic() + timeout
        while not self.offer(item):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._room.wait(remaining)
        return True

    def take(self, max_items: int, first_timeout: float, window: float) -> list[T]:
        """Up to `max_items`: wait `first_timeout` for the first, then at most `window`
        seconds more for the batch to fill."""
        batch: list[T] = []
        if not self._wait_nonempty(first_timeout):
            return batch
        deadline = time.monotonic() + window
        items = self._items
        while len(batch) < max_items:
            try:
                batch.append(items.popleft())
                continue
            except IndexError:
                pass
            if not self._room.is_set():
                self._room.set()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._wait_nonempty(remaining):
                break
        if not self._room.is_set():
            self._room.set()
        return batch

    def _wait_nonempty(self, timeout: float) -> bool:
        if self._items:
            return True
        self._nonempty.clear()
        if self._items:  # appended between the check and the clear
            return True
        return self._nonempty.wait(timeout) or bool(self._items)
