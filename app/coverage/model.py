"""Per-cell cover counts: how many available AEDs reach each cell, now and in each hour
of the typical week, and what follows from them.

An AED is *available* in an hour when its readiness is ``ready`` or ``attention`` and
it is open then. A cell is covered when its count is above zero; coverage is the
covered cells' weight over the area's. The counts make the other answers cheap:

- an AED's *marginal* cells at a moment are those of its own that no other available
  AED reaches: what is lost if it alone becomes unavailable (for an available AED, its
  unique cells), or what it would give back if it were ready (for one that is not);
- its *criticality* is the same over the week: the share of the area-week (cells ×
  168 hours, weighted) that depends on it alone;
- changing one AED (readiness, hours, position) touches only its own cells' counts,
  before and after.

Shares are always of the whole area's weight, also in a model that holds only part of
the cells (``cells=``: the neighbourhood of a change, see app/coverage/freshness.py),
so a local model's answers equal the full model's for the AEDs whose cells it holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from app.coverage.grid import Grid
from app.coverage.reach import cells_within
from app.coverage.week import HOURS, open_at, week_mask


@dataclass(frozen=True, slots=True)
class AedState:
    """What coverage needs of one AED: where, its opening hours, whether it is ready."""

    id: int
    lat: float
    lon: float
    hours: str
    #: Readiness ``ready`` or ``attention``.
    ready: bool


@dataclass(frozen=True, eq=False)
class Moment:
    """Coverage at one moment."""

    at: datetime
    #: Available AEDs reaching each cell (of the model's cells).
    counts: np.ndarray
    #: Weighted share of the area covered (0–1).
    share: float
    #: AED id -> open at ``at``.
    open: Mapping[int, bool]

    @property
    def covered(self) -> np.ndarray:
        return self.counts > 0


#: AEDs per step of :meth:`CoverageModel.carried` (bounds its temporary arrays).
CHUNK = 128


@dataclass(eq=False)
class _Counted:
    """Cover counts at one moment, kept up to date through changes."""

    at: datetime
    counts: np.ndarray
    #: AED id -> open at ``at``; opening-hours value -> open at ``at``.
    open: dict[int, bool]
    hours: dict[str, bool]

    def count(self, state: AedState, reach: np.ndarray, sign: int,
              unknown_open: bool) -> None:
        if state.hours not in self.hours:
            self.hours.update(open_at([state.hours], self.at, unknown_open))
        is_open = self.hours[state.hours]
        self.open[state.id] = is_open
        if state.ready and is_open:
            self.counts[reach] += sign  # an AED's cells are distinct


class CoverageModel:
    def __init__(self, grid: Grid, reach_m: float, week_start: datetime,
                 unknown_hours_open: bool = False, cells: np.ndarray | None = None) -> None:
        self.grid = grid
        self.reach_m = reach_m
        self.week_start = week_start
        self.unknown_hours_open = unknown_hours_open
        #: The model's cells (numbers in ``grid``), ascending; all of them by default.
        self.cells = np.arange(grid.size) if cells is None else np.asarray(cells, np.int64)
        self.weight = grid.weight[self.cells]
        self.total_weight = grid.total_weight
        self.states: dict[int, AedState] = {}
        self._reach: dict[int, np.ndarray] = {}  # AED id -> its cells (model numbering)
        self._open: dict[int, np.ndarray] = {}  # AED id -> open in each hour
        self._week: np.ndarray | None = None  # counts per hour, built on first use
        self._covered: np.ndarray | None = None  # covered weight per hour
        # The last moment asked about, kept counted through changes (a change then costs
        # its own cells, not a recount of every AED).
        self._last: _Counted | None = None

    # --- the AEDs -------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.states)

    def reach_of(self, aed_id: int) -> np.ndarray:
        """The model's cells this AED reaches (model numbering)."""
        return self._reach[aed_id]

    def open_mask(self, aed_id: int) -> np.ndarray:
        return self._open[aed_id]

    def available_mask(self, aed_id: int) -> np.ndarray:
        return self._open[aed_id] & self.states[aed_id].ready

    def sync(self, states: Iterable[AedState]) -> set[int]:
        """Make the model hold exactly these AEDs; the ids that changed."""
        wanted = {s.id: s for s in states}
        gone = [i for i in self.states if i not in wanted]
        changed = self.put([s for s in wanted.values() if self.states.get(s.id) != s])
        self.remove(gone)
        return changed | set(gone)

    def put(self, states: Sequence[AedState]) -> set[int]:
        """Add or change these AEDs: only their own cells are recounted."""
        moved = [s for s in states
                 if s.id not in self.states or self._position(s.id) != (s.lat, s.lon)]
        found = cells_within(self.grid, [(s.lat, s.lon) for s in moved], self.reach_m)
        reaches = dict(zip((s.id for s in moved), self._to_model(found), strict=True))
        for state in states:
            if state.id in self.states:
                self._count(state.id, -1)
            self.states[state.id] = state
            if state.id in reaches:
                self._reach[state.id] = reaches[state.id]
            self._open[state.id] = week_mask(state.hours, self.week_start,
                                             self.unknown_hours_open)
            self._count(state.id, +1)
        return {s.id for s in states}

    def _position(self, aed_id: int) -> tuple[float, float]:
        state = self.states[aed_id]
        return state.lat, state.lon

    def remove(self, ids: Iterable[int]) -> None:
        for aed_id in ids:
            if aed_id in self.states:
                self._count(aed_id, -1)
                if self._last is not None:
                    self._last.open.pop(aed_id, None)
                del self.states[aed_id], self._reach[aed_id], self._open[aed_id]

    def set_week(self, week_start: datetime) -> None:
        """Judge the hours on another typical week (the week counts are rebuilt)."""
        if week_start == self.week_start:
            return
        self.week_start = week_start
        for aed_id, state in self.states.items():
            self._open[aed_id] = week_mask(state.hours, week_start, self.unknown_hours_open)
        self._week = self._covered = None

    def _to_model(self, reaches: list[np.ndarray]) -> list[np.ndarray]:
        if len(self.cells) == self.grid.size:
            return reaches
        out = []
        for cells in reaches:
            pos = np.searchsorted(self.cells, cells)
            pos = np.minimum(pos, len(self.cells) - 1)
            out.append(pos[self.cells[pos] == cells])
        return out

    def _count(self, aed_id: int, sign: int) -> None:
        """Add (+1) or take away (-1) this AED from the counts that are built."""
        if self._last is not None:
            self._last.count(self.states[aed_id], self._reach[aed_id], sign,
                             self.unknown_hours_open)
        if self._week is None or self._covered is None:
            return
        hours = np.flatnonzero(self.available_mask(aed_id))
        cells = self._reach[aed_id]
        if not len(hours) or not len(cells):
            return
        index = np.ix_(hours, cells)
        before = self._week[index].astype(np.int32)
        after = before + sign
        self._week[index] = after.astype(np.uint16)
        delta = ((after > 0).astype(np.int8) - (before > 0)) @ self.weight[cells]
        self._covered[hours] += delta

    # --- one moment -----------------------------------------------------------------

    def at(self, moment: datetime) -> Moment:
        last = self._last
        if last is None or last.at != moment:
            opened = dict(open_at({s.hours for s in self.states.values()}, moment,
                                  self.unknown_hours_open))
            is_open = {i: opened[s.hours] for i, s in self.states.items()}
            reaches = [self._reach[i] for i, s in self.states.items()
                       if s.ready and is_open[i]]
            flat = np.concatenate(reaches) if reaches else np.empty(0, np.int64)
            counts = np.bincount(flat, minlength=len(self.cells)).astype(np.int64)
            last = self._last = _Counted(moment, counts, is_open, opened)
        share = float(self.weight[last.counts > 0].sum() / self.total_weight)
        return Moment(moment, last.counts.copy(), share, dict(last.open))

    def marginal_at(self, moment: Moment, ids: Iterable[int]) -> dict[int, float]:
        """Share of the area whose coverage at that moment depends on each AED alone:
        lost if it fails (it is available), or lost because it is not (it is not ready
        but open). Closed at that moment: 0."""
        out: dict[int, float] = {}
        for aed_id in ids:
            state = self.states[aed_id]
            if not moment.open[aed_id]:
                out[aed_id] = 0.0
                continue
            cells = self._reach[aed_id]
            alone = moment.counts[cells] == (1 if state.ready else 0)
            out[aed_id] = float(self.weight[cells][alone].sum() / self.total_weight)
        return out

    # --- the week -------------------------------------------------------------------

    def _built(self) -> tuple[np.ndarray, np.ndarray]:
        if self._week is None or self._covered is None:
            counts = np.zeros((HOURS, len(self.cells)), dtype=np.uint16)
            patterns: dict[bytes, list[np.ndarray]] = {}
            for aed_id in self.states:
                mask = self.available_mask(aed_id)
                if mask.any():
                    patterns.setdefault(mask.tobytes(), []).append(self._reach[aed_id])
            for key, reaches in patterns.items():
                hours = np.flatnonzero(np.frombuffer(key, dtype=np.bool_))
                per_cell = np.bincount(np.concatenate(reaches), minlength=len(self.cells))
                counts[hours] += per_cell.astype(np.uint16)
            self._week = counts
            self._covered = (counts > 0) @ self.weight
        return self._week, self._covered

    def profile(self) -> np.ndarray:
        """Weighted share covered in each hour of the week, Monday 00:00 first."""
        _, covered = self._built()
        return covered / self.total_weight

    def week_counts(self) -> np.ndarray:
        """Available AEDs reaching each cell in each hour (hours × cells)."""
        return self._built()[0]

    def criticality(self, ids: Iterable[int] | None = None) -> dict[int, float]:
        """Share of the area-week that depends on each AED alone (see the docstring)."""
        return self.carried(ids, ())[0]

    def night_gain(self, night: Sequence[int], ids: Iterable[int] | None = None
                   ) -> dict[int, float]:
        """Share of the area's night hours that an AED would add open round the clock
        (in a 24/7 outdoor cabinet where it stands): the night hours it is closed now,
        in its cells no other available AED reaches then. ``night``: local hours of the
        day (0–23)."""
        return self.carried(ids, night)[1]

    def carried(self, ids: Iterable[int] | None, night: Sequence[int]
                ) -> tuple[dict[int, float], dict[int, float]]:
        """Each AED's criticality and night gain, from one look at its cells' counts
        (AEDs taken a chunk at a time, their cells padded to one array)."""
        counts, _ = self._built()
        at_night = np.zeros(HOURS, dtype=bool)
        at_night[[d * 24 + h for d in range(7) for h in night]] = True
        nights = int(at_night.sum())
        wanted = list(self.states if ids is None else ids)
        crit: dict[int, float] = {}
        gain: dict[int, float] = {}
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            c, g = self._carried(counts, chunk, at_night)
            crit.update(zip(chunk, (c / (HOURS * self.total_weight)).tolist(), strict=True))
            gain.update(zip(chunk, (g / (max(nights, 1) * self.total_weight)).tolist(),
                            strict=True))
        return crit, gain

    def _carried(self, counts: np.ndarray, ids: list[int], at_night: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
        reaches = [self._reach[i] for i in ids]
        width = max((len(r) for r in reaches), default=0)
        if not width:
            return np.zeros(len(ids)), np.zeros(len(ids))
        index = np.zeros((len(ids), width), dtype=np.int64)
        weight = np.zeros((len(ids), width))
        for k, cells in enumerate(reaches):
            index[k, :len(cells)] = cells
            weight[k, :len(cells)] = self.weight[cells]
        opened = np.stack([self._open[i] for i in ids])  # AEDs × hours
        ready = np.array([self.states[i].ready for i in ids])
        own = (opened & ready[:, None]).astype(np.int32)
        # Hours × AEDs × cells in which no other available AED reaches the cell.
        alone = (counts[:, index].astype(np.int32) - own.T[:, :, None]) == 0
        crit = ((alone & opened.T[:, :, None]).sum(axis=0) * weight).sum(axis=1)
        closed_nights = (at_night[None, :] & ~opened).T
        gain = ((alone & closed_nights[:, :, None]).sum(axis=0) * weight).sum(axis=1)
        return crit, gain
