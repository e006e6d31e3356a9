"""The coverage answers the pages and the API give, each written once: coverage at a
moment (live, from the stored state), the stored week, what one AED carries, the losses
of AEDs for the worklist, and the planning answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.coverage.context import coverage_context, with_live_model
from app.coverage.geojson import read_points
from app.coverage.model import CoverageModel
from app.coverage.payload import Coords, moment_payload
from app.coverage.planning import (
    CabinetGain,
    Suggestion,
    cell_centres,
    night_cabinets,
    suggest,
)
from app.coverage.store import WeekFigures, load_aeds, load_week

#: Most suggestions or cabinets one answer gives.
MAX_K = 50


def coverage_at(session: Session, now: datetime, tz: ZoneInfo, at: datetime,
                coords: Coords = "wgs84") -> dict[str, Any]:
    """Coverage at ``at`` as compact arrays (app/coverage/payload.py)."""
    return with_live_model(session, now, tz, lambda ctx, model: moment_payload(
        ctx.grid, ctx.settings.reach_m, model.at(at), coords))


def share_at(session: Session, now: datetime, tz: ZoneInfo, at: datetime) -> float:
    return with_live_model(session, now, tz, lambda _ctx, model: model.at(at).share)


def stored_week(session: Session, tz: ZoneInfo) -> WeekFigures | None:
    """The typical week as the scheduler's coverage job last stored it."""
    return load_week(session, coverage_context(tz).area_name)


def losses_now(session: Session, now: datetime, tz: ZoneInfo,
               ids: Iterable[int]) -> dict[int, float]:
    """Share of the area whose coverage now depends on each AED alone (0 for AEDs the
    model does not hold, e.g. retired ones)."""
    wanted = set(ids)

    def use(_ctx: Any, model: CoverageModel) -> dict[int, float]:
        held = [i for i in wanted if i in model.states]
        found = model.marginal_at(model.at(now), held)
        return {i: found.get(i, 0.0) for i in wanted}

    return with_live_model(session, now, tz, use)


@dataclass(frozen=True)
class AedCoverage:
    #: Share of the area whose coverage depends on it alone now.
    now: float
    ready: bool
    #: Share of the area-week (stored by the writers and the coverage job); None before
    #: the first computation.
    criticality: float | None
    night_gain: float | None


def aed_coverage(session: Session, now: datetime, tz: ZoneInfo, aed_id: int
                 ) -> AedCoverage | None:
    def use(_ctx: Any, model: CoverageModel) -> tuple[float, bool] | None:
        if aed_id not in model.states:
            return None
        return (model.marginal_at(model.at(now), [aed_id])[aed_id],
                model.states[aed_id].ready)

    live = with_live_model(session, now, tz, use)
    if live is None:
        return None
    stored = load_aeds(session, [aed_id]).get(aed_id)
    return AedCoverage(live[0], live[1], stored.criticality if stored else None,
                       stored.night_gain if stored else None)


def suggestions(session: Session, now: datetime, tz: ZoneInfo, k: int
                ) -> tuple[list[Suggestion], str, float]:
    """Up to ``k`` new positions, the kind of candidates (``configured`` or ``cells``)
    and the typical week's mean coverage before them."""
    ctx = coverage_context(tz)
    points = read_points(ctx.settings.candidates) if ctx.settings.candidates else None

    def use(_ctx: Any, model: CoverageModel) -> tuple[list[Suggestion], float]:
        candidates = points if points is not None else cell_centres(model)
        return suggest(model, candidates, min(k, MAX_K)), float(model.profile().mean())

    found, before = with_live_model(session, now, tz, use)
    return found, "configured" if points is not None else "cells", before


def cabinets(session: Session, now: datetime, tz: ZoneInfo, k: int
             ) -> tuple[list[CabinetGain], tuple[int, ...]]:
    """The AEDs that would add most at night in a 24/7 outdoor cabinet, and the night's
    local hours."""
    night = coverage_context(tz).settings.night_hours
    found = with_live_model(session, now, tz,
                            lambda _ctx, model: night_cabinets(model, night, min(k, MAX_K)))
    return found, night
