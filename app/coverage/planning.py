"""Planning answers from the week counts: where new AEDs would add the most, and which
existing AEDs would add the most at night in a 24/7 outdoor cabinet.

New positions are chosen greedily: each step takes the candidate whose cells, weighted
by the hours of the typical week in which no available AED reaches them, add the most;
a new AED is taken to be ready and open round the clock. Coverage is a union of discs,
so each step's gain can only shrink as others are taken (submodular): the greedy choice
is within 1 - 1/e of the best set (63 %), and usually equal to it
(tests/coverage/test_planning.py compares it with an exhaustive search). Lazy
evaluation (a heap of stale gains) keeps it to a few recomputations per step.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.coverage.model import CoverageModel
from app.coverage.reach import cells_within
from app.coverage.week import HOURS


@dataclass(frozen=True)
class Suggestion:
    lat: float
    lon: float
    #: Share of the area-week (weighted cells × hours) it adds, after the ones before it.
    gain: float


def uncovered_hours(model: CoverageModel) -> np.ndarray:
    """Hours of the week in which no available AED reaches each cell."""
    return (model.week_counts() == 0).sum(axis=0).astype(np.float64)


def candidate_reaches(model: CoverageModel, candidates: Sequence[tuple[float, float]]
                      ) -> list[np.ndarray]:
    found = cells_within(model.grid, candidates, model.reach_m)
    if len(model.cells) == model.grid.size:
        return found
    position = np.full(model.grid.size, -1, dtype=np.int64)
    position[model.cells] = np.arange(len(model.cells))
    return [position[c][position[c] >= 0] for c in found]


def suggest(model: CoverageModel, candidates: Sequence[tuple[float, float]], k: int,
            reaches: Sequence[np.ndarray] | None = None) -> list[Suggestion]:
    """Up to ``k`` candidates (lat, lon), best first; none that would add nothing."""
    reaches = candidate_reaches(model, candidates) if reaches is None else reaches
    value = model.weight * uncovered_hours(model)
    scale = HOURS * model.total_weight

    def gain(i: int) -> float:
        return float(value[reaches[i]].sum())

    # Max-heap by gain, ties by candidate order (so the answer does not depend on luck).
    heap = [(-gain(i), i) for i in range(len(candidates))]
    heapq.heapify(heap)
    out: list[Suggestion] = []
    while heap and len(out) < k:
        _, i = heapq.heappop(heap)
        fresh = gain(i)
        if heap and fresh < -heap[0][0]:  # another may now add more: look again
            heapq.heappush(heap, (-fresh, i))
            continue
        if fresh <= 0:
            break
        lat, lon = candidates[i]
        out.append(Suggestion(lat, lon, fresh / scale))
        value[reaches[i]] = 0.0
    return out


def cell_centres(model: CoverageModel) -> list[tuple[float, float]]:
    lat = model.grid.lat[model.cells]
    lon = model.grid.lon[model.cells]
    return list(zip(lat.tolist(), lon.tolist(), strict=True))


@dataclass(frozen=True)
class CabinetGain:
    aed_id: int
    #: Share of the area's night hours (weighted cells × night hours) it would add.
    gain: float


def night_cabinets(model: CoverageModel, night: Sequence[int], k: int) -> list[CabinetGain]:
    """The ``k`` AEDs that would add the most night coverage open round the clock where
    they stand, most first (ties by id); none that would add nothing."""
    gains = model.night_gain(night)
    ranked = sorted(((-g, aed_id) for aed_id, g in gains.items() if g > 0))
    return [CabinetGain(aed_id, -g) for g, aed_id in ranked[:k]]
