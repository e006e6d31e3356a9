"""Table tests of the coverage model on hand-made layouts (tests/coverage/layouts.py).

The layout: eight 100 m cells in a row (0–7), reach 110 m, so an AED on cell c reaches
c-1, c and c+1.

    A on cell 1, open 24/7, ready          reaches 0 1 2
    B on cell 2, open Mo-Fr 08:00-18:00    reaches 1 2 3
    C on cell 6, open 24/7, not ready      reaches 5 6 7
"""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
import pytest

from app.coverage.model import AedState, CoverageModel
from app.coverage.state import AVAILABLE_STATUSES
from app.coverage.store import worst_spans
from app.coverage.week import HOURS, typical_week_start
from tests.coverage.layouts import TZ, WEEK, at_cell, local, model, rectangle, strip

A, B, C = 1, 2, 3
OFFICE = "Mo-Fr 08:00-18:00"
OFFICE_HOURS = [d * 24 + h for d in range(5) for h in range(8, 18)]  # 50 hours


def layout(c_ready: bool = False, b_hours: str = OFFICE) -> list[AedState]:
    grid = strip()
    return [at_cell(grid, 1, A), at_cell(grid, 2, B, b_hours),
            at_cell(grid, 6, C, ready=c_ready)]


def test_each_aed_reaches_its_cell_and_both_neighbours() -> None:
    grid = strip()
    m = model(grid, layout())
    assert grid.size == 8
    assert [m.reach_of(i).tolist() for i in (A, B, C)] == [[0, 1, 2], [1, 2, 3], [5, 6, 7]]


@pytest.mark.parametrize(("hour", "c_ready", "covered", "share"), [
    (10, False, [0, 1, 2, 3], 4 / 8),        # Monday 10:30: A and B; C not ready
    (3, False, [0, 1, 2], 3 / 8),            # Monday 03:30: B closed
    (5 * 24 + 10, False, [0, 1, 2], 3 / 8),  # Saturday 10:30: B closed at weekends
    (10, True, [0, 1, 2, 3, 5, 6, 7], 7 / 8),  # C ready again
    (3, True, [0, 1, 2, 5, 6, 7], 6 / 8),
])
def test_coverage_now(hour: int, c_ready: bool, covered: list[int], share: float) -> None:
    now = model(strip(), layout(c_ready)).at(local(hour))
    assert np.flatnonzero(now.covered).tolist() == covered
    assert now.share == pytest.approx(share)


def test_ready_and_attention_are_the_available_readiness() -> None:
    assert {"ready", "attention"} == AVAILABLE_STATUSES


def test_demand_weights_count_cells_unequally() -> None:
    grid = strip()
    # Cell 0 weighs 3 (e.g. a ferry pier): the area weighs 10.
    heavy = rectangle(float(grid.lat0), float(grid.lon0), 0.99, 0.99, 100.0, weight=3.0)
    weighted = strip(weights=(heavy,))
    assert weighted.weight.tolist() == [3, 1, 1, 1, 1, 1, 1, 1]
    m = model(weighted, layout())
    assert m.at(local(3)).share == pytest.approx(5 / 10)  # cells 0 1 2
    assert m.at(local(10)).share == pytest.approx(6 / 10)  # cells 0 1 2 3


def test_the_168_hour_profile() -> None:
    profile = model(strip(), layout()).profile()
    assert len(profile) == HOURS
    expected = np.full(HOURS, 3 / 8)
    expected[OFFICE_HOURS] = 4 / 8
    assert profile == pytest.approx(expected)
    # Worst: every hour outside office hours, as runs in week order.
    spans = worst_spans(profile.tolist())
    runs = [(s.start, s.end) for s in spans]
    assert runs[:2] == [(0, 8), (18, 32)] and runs[-1] == (4 * 24 + 18, HOURS)
    assert all(s.share == pytest.approx(3 / 8) for s in spans)
    assert sum(s.end - s.start for s in spans) == HOURS - len(OFFICE_HOURS)


def test_the_profile_names_a_single_worst_hour() -> None:
    grid = strip()
    # D covers cell 4 except on Sunday 03:00-04:00 (closed for an hour a week).
    d = at_cell(grid, 4, 4, "Mo-Sa 00:00-24:00; Su 00:00-03:00,04:00-24:00")
    profile = model(grid, [*layout(b_hours="24/7"), d]).profile()
    [worst] = worst_spans(profile.tolist())
    assert (worst.start, worst.end) == (6 * 24 + 3, 6 * 24 + 4)
    assert worst.share == pytest.approx(4 / 8)


def test_criticality_over_the_week() -> None:
    m = model(strip(), layout())
    area_week = HOURS * 8
    crit = m.criticality()
    # A alone: cell 0 in office hours; cells 0, 1 and 2 in the other 118 hours.
    assert crit[A] == pytest.approx((50 * 1 + 118 * 3) / area_week)
    # B alone: cell 3, in its 50 open hours.
    assert crit[B] == pytest.approx(50 / area_week)
    # C is not ready: the cells it would cover alone, every hour (lost while it is not).
    assert crit[C] == pytest.approx(3 * HOURS / area_week)


def test_loss_of_a_not_ready_aed_right_now() -> None:
    m = model(strip(), layout())
    now = m.at(local(10))
    assert m.marginal_at(now, [A, B, C]) == pytest.approx(
        {A: 1 / 8, B: 1 / 8, C: 3 / 8})
    night = m.at(local(3))
    assert m.marginal_at(night, [A, B, C]) == pytest.approx({A: 3 / 8, B: 0.0, C: 3 / 8})


def test_a_ready_neighbour_takes_the_loss_away() -> None:
    grid = strip()
    # E not ready on cell 6 beside F ready on cell 6: F covers all E would.
    e = at_cell(grid, 6, 5, ready=False)
    f = at_cell(grid, 6, 6)
    m = model(grid, [at_cell(grid, 1, A), e, f])
    # E's failure costs nothing; F now carries those cells alone.
    assert m.marginal_at(m.at(local(10)), [5, 6]) == pytest.approx({5: 0.0, 6: 3 / 8})
    assert m.criticality([5])[5] == 0.0


def test_opening_hours_unknown_counts_as_configured() -> None:
    grid = strip()
    odd = at_cell(grid, 6, 7, "not opening hours at all ((")
    closed = model(grid, [odd])
    assert closed.at(local(10)).share == 0.0
    opened = CoverageModel(grid, 110.0, WEEK, unknown_hours_open=True)
    opened.sync([odd])
    assert opened.at(local(10)).share == pytest.approx(3 / 8)


@pytest.mark.parametrize("change", ["ready", "hours", "position", "remove", "add"])
def test_a_change_recounts_to_the_same_figures_as_a_fresh_model(change: str) -> None:
    grid = strip()
    states = layout()
    m = model(grid, states)
    m.profile()  # the week counts are built: the change must update them
    m.at(local(10))  # and so are the counts of this moment
    after = {s.id: s for s in states}
    if change == "ready":
        after[C] = AedState(C, after[C].lat, after[C].lon, after[C].hours, True)
    elif change == "hours":
        after[A] = AedState(A, after[A].lat, after[A].lon, OFFICE, True)
    elif change == "position":
        moved = at_cell(grid, 4, B, OFFICE)
        after[B] = moved
    elif change == "remove":
        del after[A]
    else:
        after[9] = at_cell(grid, 4, 9)
    changed = m.sync(after.values())
    assert len(changed) == 1
    fresh = model(grid, list(after.values()))
    assert m.profile() == pytest.approx(fresh.profile())
    assert m.criticality() == pytest.approx(fresh.criticality())
    kept, recounted = m.at(local(10)), fresh.at(local(10))
    assert kept.counts.tolist() == recounted.counts.tolist()
    assert kept.share == pytest.approx(recounted.share) and kept.open == recounted.open


def test_a_local_model_gives_the_whole_models_figures_for_its_aeds() -> None:
    grid = strip()
    m = model(grid, layout())
    part = model(grid, layout())
    local_model = CoverageModel(grid, 110.0, WEEK, cells=np.array([0, 1, 2, 3]))
    local_model.sync(layout()[:2])
    assert local_model.criticality([A, B]) == pytest.approx(m.criticality([A, B]))
    assert part.profile() == pytest.approx(m.profile())


def test_night_gain_of_a_24_7_cabinet() -> None:
    m = model(strip(), layout())
    night = tuple(h % 24 for h in range(20, 32))  # 20:00-08:00
    gains = m.night_gain(night)
    # B is closed every night; at night only it would reach cell 3.
    assert gains[B] == pytest.approx(1 / 8)
    assert gains[A] == 0.0  # open round the clock already
    assert gains[C] == 0.0  # open round the clock, just not ready


@pytest.mark.parametrize(("day", "monday"), [
    ("2026-03-11", "2026-03-09"),  # an ordinary Wednesday: its own week
    ("2026-10-01", "2026-10-12"),  # National Day: the first ordinary week after it
])
def test_the_typical_week_has_no_holiday(day: str, monday: str) -> None:
    at = datetime.combine(date.fromisoformat(day), time(12), TZ)
    start = typical_week_start(at, TZ)
    assert start.isoformat() == f"{monday}T00:00:00+08:00"
