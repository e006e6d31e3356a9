"""Coverage follows a writer's changes each in its own neighbourhood: a day's changes far
apart recompute the AEDs around each (exactly as the whole model would), not those in
between, and a new typical week alone is no change of an AED (the coverage job
recomputes the week for all)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.refresh import refresh_aeds
from app.coverage import state
from app.coverage.context import coverage_context
from app.coverage.jobs import run_coverage
from app.coverage.state import all_states
from app.coverage.store import DECIMALS, load_aeds
from app.coverage.week import typical_week_start
from app.extensions import get_aed_context
from app.models import Asset
from maps.geo import distance_m
from tests.factories import make_aed, make_site

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


# Few changes are read with a query of their boxes, many with one read of every AED.
@pytest.mark.parametrize("boxes_per_query", [state.BOXES_PER_QUERY, 0])
def test_changes_far_apart_recompute_their_own_neighbourhoods_only(
        app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch, boxes_per_query: int
) -> None:
    monkeypatch.setattr(state, "BOXES_PER_QUERY", boxes_per_query)
    aed_ctx = get_aed_context(app)
    ctx = coverage_context(aed_ctx.tz)
    grid, reach = ctx.grid, ctx.settings.reach_m
    # Two cells of the area far apart, an AED on each, a ready neighbour 50 m from the
    # first, one AED half-way between them and one more that the writer touches
    # without changing it.
    first = 0
    second = max(range(grid.size), key=lambda c: distance_m(
        grid.lat[first], grid.lon[first], grid.lat[c], grid.lon[c]))
    a_lat, a_lon = float(grid.lat[first]), float(grid.lon[first])
    b_lat, b_lon = float(grid.lat[second]), float(grid.lon[second])
    assert distance_m(a_lat, a_lon, b_lat, b_lon) > 20 * reach
    site = make_site(db)
    today = NOW.date()
    positions = {"a": (a_lat, a_lon), "near_a": (a_lat + 50 / 110_900, a_lon),
                 "b": (b_lat, b_lon), "between": ((a_lat + b_lat) / 2, (a_lon + b_lon) / 2),
                 "untouched_change": (b_lat + 2000 / 110_900, b_lon)}
    aeds: dict[str, Asset] = {}
    for n, (name, (lat, lon)) in enumerate(positions.items(), start=1):
        aeds[name] = make_aed(db, site, n=n, pad=today + timedelta(days=400),
                              battery=today + timedelta(days=800), access_hours="24/7",
                              last_inspection_at=NOW - timedelta(days=1))
        aeds[name].lat, aeds[name].lon = lat, lon
    ids = {name: a.id for name, a in aeds.items()}
    refresh_aeds(db, ids.values(), NOW, aed_ctx)
    run_coverage(db, NOW, aed_ctx.tz)
    db.commit()
    week = typical_week_start(NOW, aed_ctx.tz)
    assert {f.week_starts_at for f in load_aeds(db).values()} == {week}

    later = NOW + timedelta(days=7)
    next_week = typical_week_start(later, aed_ctx.tz)
    assert next_week != week
    for name in ("a", "b"):  # pads expired: no longer ready
        aeds[name].pad_expiry = today - timedelta(days=1)
    refresh_aeds(db, [ids["a"], ids["b"], ids["untouched_change"]], later, aed_ctx)
    db.commit()
    assert db.scalar(select(Asset.status).where(Asset.id == ids["a"])) == "not_ready"

    stored = load_aeds(db)
    weeks = {name: stored[i].week_starts_at for name, i in ids.items()}
    assert weeks == {"a": next_week, "near_a": next_week, "b": next_week,
                     "between": week, "untouched_change": week}
    whole = ctx.model(next_week)
    whole.sync(all_states(db))
    criticality, night = whole.carried(None, ctx.settings.night_hours)
    for name in ("a", "near_a", "b"):
        i = ids[name]
        assert (stored[i].criticality, stored[i].night_gain) == (
            round(criticality[i], DECIMALS), round(night[i], DECIMALS)), name
    assert stored[ids["near_a"]].criticality > 0  # it now covers a's cells alone
