"""Each worker's in-memory index of the asset list, for the map's viewport requests.

A phone panning a map asks for a new bounding box with every move, so the same box
rarely comes twice and a response cache alone misses most of them. What repeats is the
rows: this index keeps, per audience (public or signed in), every listed asset's
position, kind and status in numpy arrays in id order, beside its list entry already
rendered as JSON. A viewport is then a vectorised mask over the arrays and a join of the
entries it selects; no query, no model, no encoding per request.

Freshness follows the response cache's rules (``response_cache``): the caller passes
the data version it read (at most half a second old); a changed version re-reads only
the rows changed since the index was built, in place, and rebuilds the whole index when
rows came or went. A renamed site moves its assets' ``updated_at`` (app.registry). A
full rebuild every minute bounds staleness for any change that bypasses the asset rows
all the same (SQL typed by hand, say).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from app.models import Asset

#: A rebuild at least this often, yet never more than a fiftieth of a worker's time: it
#: holds the interpreter for the whole rebuild (~0.1 s per 5,000 assets), which every
#: request of that worker then waits for.
REBUILD_EVERY_S = 60.0
REBUILD_SHARE = 50

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Viewport:
    """What the index answers: a box, kinds and statuses to keep (None: any), a page."""

    box: Box
    kinds: Sequence[str] | None
    statuses: Sequence[str] | None
    limit: int
    offset: int


@dataclass(frozen=True)
class _Snapshot:
    version: Any
    ids: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    kind: npt.NDArray[np.int16]
    status: npt.NDArray[np.int16]
    entries: list[bytes]
    built_at: float
    codes: dict[str, int] = field(default_factory=dict)

    def code(self, value: str) -> int:
        return self.codes.get(value, -1)


def _encode(entry: dict[str, Any]) -> bytes:
    return orjson.dumps(entry)


def page_body(entries: Iterable[bytes], total: int, limit: int, offset: int) -> bytes:
    """The list answer from entries already encoded: the same bytes as encoding
    ``{"items": [...], "total", "limit", "offset"}`` at once."""
    return b'{"items":[' + b",".join(entries) + (
        b'],"total":%d,"limit":%d,"offset":%d}' % (total, limit, offset))


def encode_page(items: list[dict[str, Any]], total: int, limit: int, offset: int) -> bytes:
    return page_body((_encode(item) for item in items), total, limit, offset)


class AssetIndex:
    """One audience's index in one worker.

    ``rows`` is the select of that audience's listed assets in id order, whose first
    columns are id, lat, lon, kind and status; ``entry`` renders one row as its list
    entry. ``version`` is the stamp of all assets (latest updated_at, count, latest
    status change).
    """

    def __init__(self, rows: Callable[[], Select[Any]], entry: Callable[[Any], dict[str, Any]]
                 ) -> None:
        self._rows = rows
        self._entry = entry
        self._snapshot: _Snapshot | None = None
        self._build_s = 0.0
        self._lock = threading.Lock()

    def query(self, session: Callable[[], Session], version: Any, view: Viewport) -> bytes:
        """``session`` is called only when the index must be read again."""
        snap = self._current(session, version)
        west, south, east, north = view.box
        # NaN (no position) fails every comparison, so unplaced assets never match a box.
        mask = (snap.lat >= south) & (snap.lat <= north) & (snap.lon >= west) & (
            snap.lon <= east)
        if view.kinds is not None:
            mask &= np.isin(snap.kind, [snap.code(k) for k in view.kinds])
        if view.statuses is not None:
            mask &= np.isin(snap.status, [snap.code(s) for s in view.statuses])
        hits = np.flatnonzero(mask)
        page = hits[view.offset:view.offset + view.limit].tolist()
        entries = snap.entries
        return page_body([entries[i] for i in page], len(hits), view.limit, view.offset)

    def _current(self, session: Callable[[], Session], version: Any) -> _Snapshot:
        snap = self._snapshot
        if snap is not None and snap.version == version and not self._stale(snap):
            return snap
        if snap is None:
            self._lock.acquire()
        elif not self._lock.acquire(blocking=False):
            # Another thread is refreshing it: this answer is at most that refresh behind,
            # and no request waits for a rebuild but the first.
            return snap
        try:
            snap = self._snapshot  # another thread may have refreshed it meanwhile
            if snap is None or self._stale(snap) or _count_of(snap.version) != _count_of(
                    version):
                snap = self._build(session(), version)
            elif snap.version != version:
                snap = self._update(session(), snap, version) or self._build(session(), version)
            self._snapshot = snap
            return snap
        finally:
            self._lock.release()

    def _stale(self, snap: _Snapshot) -> bool:
        every = max(REBUILD_EVERY_S, self._build_s * REBUILD_SHARE)
        return time.monotonic() - snap.built_at > every

    def _build(self, session: Session, version: Any) -> _Snapshot:
        started = time.monotonic()
        rows = session.execute(self._rows()).all()
        codes: dict[str, int] = {}

        def code(value: str) -> int:
            return codes.setdefault(value, len(codes))

        snap = _Snapshot(
            version=version,
            ids=np.array([r[0] for r in rows], dtype=np.int64),
            lat=np.array([_coordinate(r[1]) for r in rows], dtype=np.float64),
            lon=np.array([_coordinate(r[2]) for r in rows], dtype=np.float64),
            kind=np.array([code(r[3]) for r in rows], dtype=np.int16),
            status=np.array([code(r[4]) for r in rows], dtype=np.int16),
            entries=[_encode(self._entry(r)) for r in rows],
            built_at=time.monotonic(),
            codes=codes,
        )
        self._build_s = time.monotonic() - started
        return snap

    def _update(self, session: Session, snap: _Snapshot, version: Any) -> _Snapshot | None:
        """The snapshot with the assets changed since its version re-read, or None when
        a change adds a row to this audience or drops one (a rebuild is simpler then).
        A change to an asset this audience neither listed nor lists (a private one, for
        the public) is no change to its index."""
        updated, _count, status_changed = snap.version
        since = [c for c in (Asset.updated_at > updated if updated else None,
                             Asset.status_changed_at > status_changed if status_changed
                             else None) if c is not None]
        if not since:
            return None
        changed = session.scalars(select(Asset.id).where(or_(*since))).all()
        rows = session.execute(self._rows().where(Asset.id.in_(changed))).all() if changed else []
        listed = {aid: pos for aid, pos in zip(
            changed, np.searchsorted(snap.ids, changed).tolist(), strict=True)
            if pos < len(snap.ids) and snap.ids[pos] == aid}
        if listed.keys() != {row[0] for row in rows}:
            return None  # an asset came into this audience's list or left it
        lat, lon = snap.lat.copy(), snap.lon.copy()
        kind, status, entries = snap.kind.copy(), snap.status.copy(), list(snap.entries)
        codes = dict(snap.codes)
        for row in rows:
            pos = listed[row[0]]
            lat[pos], lon[pos] = _coordinate(row[1]), _coordinate(row[2])
            kind[pos] = codes.setdefault(row[3], len(codes))
            status[pos] = codes.setdefault(row[4], len(codes))
            entries[pos] = _encode(self._entry(row))
        return replace(snap, version=version, lat=lat, lon=lon, kind=kind, status=status,
                       entries=entries, codes=codes)


def _coordinate(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _count_of(version: Any) -> int:
    """The asset count in the version stamp (latest updated_at, count, latest status
    change): a different count means rows came or went."""
    return int(version[1])
