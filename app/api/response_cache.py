"""A small per-process cache of rendered asset lists, checked against the data version.

Map clients ask for the same bounding boxes over and over. Each response is keyed by
a cheap version stamp (latest `updated_at`/`status_changed_at` and row count of assets),
so a changed readiness status is not served stale; only the rendering of hundreds of rows is
saved. The version itself is re-read at most every half second per worker, so a change
shows up within that. Entries also expire after a few seconds, which bounds staleness for changes that
bypass the ORM (e.g. a renamed site).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

MAX_ENTRIES = 64
TTL_S = 5.0


class VersionMemo:
    """Remembers the data version for a fraction of a second, so a burst of map requests
    costs one version query per worker instead of one per request."""

    def __init__(self, lifetime_s: float = 0.5) -> None:
        self.lifetime_s = lifetime_s
        self._value: Any = None
        self._at = -1e9
        self._lock = threading.Lock()

    def get(self, load: Any) -> Any:
        now = time.monotonic()
        with self._lock:
            if now - self._at <= self.lifetime_s:
                return self._value
        value = load()
        with self._lock:
            self._value, self._at = value, now
        return value

    def forget(self) -> None:
        with self._lock:
            self._at = -1e9


class ResponseCache:
    def __init__(self, max_entries: int = MAX_ENTRIES, ttl_s: float = TTL_S) -> None:
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._entries: OrderedDict[str, tuple[Any, float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, version: Any) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_version, stored_at, body = entry
            if stored_version != version or time.monotonic() - stored_at > self.ttl_s:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return body

    def put(self, key: str, version: Any, body: bytes) -> None:
        with self._lock:
            self._entries[key] = (version, time.monotonic(), body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
