"""Coverage follows the writers: after every writer's evaluation of the AEDs it touched
(app/aeds/refresh.py calls :func:`track_coverage` in the same transaction), the AEDs whose
position, opening hours or readiness changed are recomputed over their neighbourhoods
alone, and the alerts of the touched AEDs, and of the neighbours whose figure moved,
carry what they cost.

The neighbourhood of a change: the AEDs whose reach can overlap a changed AED's, before
and after (within twice the reach). Each change has its own (a day's changes spread over
a city do not make one city-wide box); all are recomputed in one model of just the
cells the neighbourhoods reach and every AED that reaches those cells. Their criticality
and night gain are then exactly the whole model's, at a few milliseconds a change.
Nothing changed (the common case, a device reporting as before): two small queries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.orm import Session

from app.coverage.context import CoverageContext, CoverageUnavailable, coverage_context
from app.coverage.costs import mark_costs
from app.coverage.model import AedState
from app.coverage.state import in_boxes, states_in_boxes, states_of
from app.coverage.store import DECIMALS, AedFigures, forget_aeds, load_aeds, save_aeds
from app.coverage.week import typical_week_start
from maps.geo import bbox_around

log = logging.getLogger("aed.coverage")
_warned: set[str] = set()


def track_coverage(session: Session, asset_ids: Sequence[int], now: datetime,
                   tz: ZoneInfo) -> None:
    """After the evaluation of ``asset_ids``: recompute what their changes moved, and
    mark the costs on their alerts and on those of the neighbours whose cost moved."""
    if not asset_ids:
        return
    try:
        ctx = coverage_context(tz)
    except CoverageUnavailable as exc:
        if str(exc) not in _warned:  # once per process: the operator's to fix
            _warned.add(str(exc))
            log.warning("coverage is off: %s", exc)
        return
    session.flush()
    week = typical_week_start(now, tz)
    current = {s.id: s for s in states_of(session, asset_ids)}
    stored = load_aeds(session, asset_ids)
    moved = [s for s in current.values() if _differs(stored.get(s.id), s)]
    gone = [i for i in stored if i not in current]
    costs = {i: f.criticality for i, f in stored.items() if i in current}
    if moved or gone:
        moved_ids = {s.id for s in moved}
        centres = [(s.lat, s.lon) for s in moved]
        centres += [(f.state.lat, f.state.lon) for i, f in stored.items()
                    if i in gone or i in moved_ids]
        forget_aeds(session, gone)
        costs.update(recompute_around(session, ctx, centres, week, now, own=moved))
    mark_costs(session, costs)


def _differs(stored: AedFigures | None, state: AedState) -> bool:
    # A new typical week is no change of the AED: it moves every AED's figures at once,
    # which the coverage job recomputes (app/coverage/jobs.py); counted here, it made the
    # first writer of a week (the deadline job at midnight) recompute the whole city.
    return stored is None or stored.state != state


def recompute_around(session: Session, ctx: CoverageContext,
                     centres: Sequence[tuple[float, float]], week: datetime, now: datetime,
                     own: Sequence[AedState] = ()) -> dict[int, float]:
    """Recompute and store the AEDs whose reach can overlap a change at one of these
    positions, and the changed AEDs themselves (``own``); the criticality of those
    whose stored figure moved, by id.

    Each change has its own neighbourhood (a day's changes spread over a city share
    few cells), all recomputed in one model of just their cells. A change whose reach
    holds none of the area's cells (outside it) moves no other AED's figures."""
    reach, grid = ctx.settings.reach_m, ctx.grid
    touching = [c for c in centres if len(grid.cells_in_box(*bbox_around(*c, reach)))]
    # The box tests look up a raster of half a reach (in degrees of latitude): they may
    # take in AEDs up to that much beyond a box, never miss one. So: targets within 2
    # reaches of a change (and maybe half a reach more), their cells within 4, every
    # AED reaching those cells within 5.
    step = bbox_around(0.0, 0.0, reach / 2)[2]
    near = [bbox_around(lat, lon, 2 * reach) for lat, lon in touching]
    found = {s.id: s for s in states_in_boxes(
        session, [bbox_around(lat, lon, 5 * reach) for lat, lon in touching], step)}
    found.update((s.id, s) for s in own)
    if not found:
        return {}
    states = list(found.values())
    targets = {s.id for s in own}
    if near:
        inside = in_boxes(np.array([s.lat for s in states]), np.array([s.lon for s in states]),
                          near, step)
        targets.update(s.id for s, hit in zip(states, inside, strict=True) if hit)
    ids = sorted(targets)
    if touching:
        local = ctx.model(week, cells=np.unique(np.concatenate([
            grid.cells_in_box(*bbox_around(lat, lon, 4 * reach)) for lat, lon in touching])))
        local.sync(states)
        criticality, night = local.carried(ids, ctx.settings.night_hours)
        held = local.states
    else:  # only changes outside the area: they carry nothing
        criticality = night = dict.fromkeys(ids, 0.0)
        held = found
    known = load_aeds(session, ids)
    save_aeds(session, held, criticality, night, week, now, known=known)
    return {i: c for i, c in criticality.items()
            if i not in known or known[i].criticality != round(c, DECIMALS)}
