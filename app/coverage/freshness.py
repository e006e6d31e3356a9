"""Coverage follows the writers: after every writer's evaluation of the AEDs it touched
(app/aeds/refresh.py calls :func:`track_coverage` in the same transaction), the AEDs whose
position, opening hours or readiness changed are recomputed over their neighbourhood
alone, and the alerts of the touched AEDs carry what they cost.

The neighbourhood of a change: the AEDs whose reach can overlap a changed AED's, before
and after (within twice the reach), recomputed in a model of just the cells they reach
and every AED that reaches those cells. Their criticality and night gain are then exactly
the whole model's, at a few milliseconds a change. Nothing changed (the common case, a
device reporting as before): two small queries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.coverage.context import CoverageContext, CoverageUnavailable, coverage_context
from app.coverage.costs import mark_costs
from app.coverage.model import AedState
from app.coverage.state import box_around, states_in, states_of
from app.coverage.store import AedFigures, forget_aeds, load_aeds, save_aeds
from app.coverage.week import typical_week_start

log = logging.getLogger("aed.coverage")
_warned: set[str] = set()


def track_coverage(session: Session, asset_ids: Sequence[int], now: datetime,
                   tz: ZoneInfo) -> None:
    """After the evaluation of ``asset_ids``: recompute what their changes moved, and
    mark the costs on their alerts."""
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
    moved = [s for s in current.values() if _differs(stored.get(s.id), s, week)]
    gone = [i for i in stored if i not in current]
    costs = {i: f.criticality for i, f in stored.items() if i in current}
    if moved or gone:
        centres = [(s.lat, s.lon) for s in moved]
        centres += [(f.state.lat, f.state.lon) for i, f in stored.items()
                    if i in gone or i in {s.id for s in moved}]
        forget_aeds(session, gone)
        costs.update(recompute_around(session, ctx, centres, week, now))
    mark_costs(session, costs)


def _differs(stored: AedFigures | None, state: AedState, week: datetime) -> bool:
    return stored is None or stored.state != state or stored.week_starts_at != week


def recompute_around(session: Session, ctx: CoverageContext,
                     centres: Sequence[tuple[float, float]], week: datetime, now: datetime
                     ) -> dict[int, float]:
    """Recompute and store the AEDs whose reach can overlap a change at one of these
    positions; their criticality by id."""
    reach = ctx.settings.reach_m
    near = box_around(centres, 2 * reach)
    targets = states_in(session, near) if near is not None else []
    if not targets:
        return {}
    positions = [(s.lat, s.lon) for s in targets]
    around, cells = box_around(positions, 2 * reach), box_around(positions, reach)
    assert around is not None and cells is not None
    local = ctx.model(week, cells=ctx.grid.cells_in_box(*cells))
    local.sync(states_in(session, around))
    ids = [s.id for s in targets]
    criticality, night = local.carried(ids, ctx.settings.night_hours)
    save_aeds(session, local.states, criticality, night, week, now,
              known=load_aeds(session, ids))
    return criticality
