"""The scheduler's coverage job: the typical week's profile for the dashboard and the API,
and every AED's criticality and night gain, stored so that no page computes them.

The scheduler keeps its model between runs, so a run recounts only the AEDs that
changed since the last one (a new typical week rebuilds the counts); what it stores is
only what differs from what is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.coverage.context import CoverageUnavailable, coverage_context, live_coverage
from app.coverage.costs import mark_costs
from app.coverage.store import forget_aeds, load_aeds, save_aeds, save_week


def run_coverage(session: Session, now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    try:
        ctx = coverage_context(tz)
    except CoverageUnavailable as exc:
        return {"off": str(exc)}  # the job's log line tells the operator
    with live_coverage(ctx).synced(session, now) as model:
        profile = model.profile()
        criticality, night = model.carried(None, ctx.settings.night_hours)
        known = load_aeds(session)
        save_week(session, ctx.area_name, profile.tolist(), model.week_start, now,
                  ctx.settings.cell_m, ctx.settings.reach_m, ctx.grid.size, len(model))
        written = save_aeds(session, model.states, criticality, night, model.week_start, now,
                            known=known)
        forget_aeds(session, set(known) - set(model.states))
        marked = mark_costs(session, criticality)
    return {"aeds": len(criticality), "cells": ctx.grid.size, "aeds_written": written,
            "alerts_marked": marked, "lowest_share": round(float(profile.min()), 4),
            "mean_share": round(float(profile.mean()), 4)}
