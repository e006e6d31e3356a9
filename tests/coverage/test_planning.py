"""Planning: the greedy suggestions against an exhaustive search, and the 24/7 cabinets."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from app.coverage.grid import make_grid
from app.coverage.model import AedState, CoverageModel
from app.coverage.planning import cell_centres, night_cabinets, suggest
from tests.coverage.layouts import LAT, LON, WEEK, at_cell, model, rectangle, strip

NIGHT = tuple(h % 24 for h in range(20, 32))


def week_mean_with(base: list[AedState], grid_model: CoverageModel,
                   added: tuple[tuple[float, float], ...]) -> float:
    """The typical week's mean coverage with new AEDs (ready, 24/7), by a fresh model."""
    fresh = CoverageModel(grid_model.grid, grid_model.reach_m, WEEK)
    fresh.sync([*base, *(AedState(1000 + n, lat, lon, "24/7", True)
                         for n, (lat, lon) in enumerate(added))])
    return float(fresh.profile().mean())


def test_on_the_strip_greedy_takes_the_best_positions() -> None:
    grid = strip(10)
    base = [at_cell(grid, 1, 1), at_cell(grid, 2, 2, "Mo-Fr 08:00-18:00"),
            at_cell(grid, 6, 3, ready=False)]
    m = model(grid, base)
    candidates = cell_centres(m)
    found = suggest(m, candidates, 3)
    best = max(week_mean_with(base, m, pick) for pick in combinations(candidates, 3))
    greedy = week_mean_with(base, m, tuple((s.lat, s.lon) for s in found))
    assert greedy == pytest.approx(best)
    # Each suggestion's gain is what it adds: they sum to the improvement.
    assert sum(s.gain for s in found) == pytest.approx(greedy - float(m.profile().mean()))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_greedy_against_an_exhaustive_search_on_a_small_area(seed: int) -> None:
    grid = make_grid([rectangle(LAT, LON, 6, 6, 60.0)], 60.0)  # 36 cells
    rng = np.random.default_rng(seed)
    hours = ["24/7", "Mo-Fr 08:00-18:00", "Mo-Su 07:00-21:00"]
    base = [AedState(i, LAT + float(a) * 6 * grid.dlat, LON + float(b) * 6 * grid.dlon,
                     hours[i % 3], bool(i % 4)) for i, (a, b) in
            enumerate(rng.uniform(0, 1, size=(4, 2)))]
    m = CoverageModel(grid, 110.0, WEEK)
    m.sync(base)
    before = float(m.profile().mean())
    candidates = cell_centres(m)
    # One new AED: the greedy choice is the best one, exactly.
    first = suggest(m, candidates, 1)
    best_one = max(week_mean_with(base, m, (c,)) for c in candidates)
    assert week_mean_with(base, m, ((first[0].lat, first[0].lon),)) == pytest.approx(best_one)
    # Two: within the submodular guarantee of the best pair (1 - 1/e of its gain).
    found = suggest(m, candidates, 2)
    best = max(week_mean_with(base, m, pick) for pick in combinations(candidates, 2))
    greedy = week_mean_with(base, m, tuple((s.lat, s.lon) for s in found))
    assert greedy - before >= (1 - 1 / np.e) * (best - before) - 1e-12
    assert sum(s.gain for s in found) == pytest.approx(greedy - before)


def test_no_suggestion_when_everything_is_covered() -> None:
    grid = strip(3)
    m = model(grid, [at_cell(grid, 1, 1)])
    assert suggest(m, cell_centres(m), 5) == []


def test_night_cabinets_rank_by_night_coverage_gained() -> None:
    grid = strip(10)
    m = model(grid, [
        at_cell(grid, 1, 1, "Mo-Fr 08:00-18:00"),  # closed every night: cells 0 1 2
        at_cell(grid, 5, 2, "Mo-Su 07:00-21:00"),  # closed 21:00-07:00: cells 4 5 6
        at_cell(grid, 6, 3),                       # 24/7 already: cells 5 6 7
    ])
    ranked = night_cabinets(m, NIGHT, 5)
    assert [c.aed_id for c in ranked] == [1, 2]
    assert ranked[0].gain == pytest.approx(3 / 10)
    # AED 2 is closed 10 of the 12 night hours; only cell 4 is its own.
    assert ranked[1].gain == pytest.approx(10 / 12 * 1 / 10)
