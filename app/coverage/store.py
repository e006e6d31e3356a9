"""The coverage figures that must outlive a process and be shared by every worker: the
typical week's profile (one row per area) and what each AED carries. Written with plain
statements (no ORM objects): they are computed bookkeeping, not facts a person changed,
so they are not audited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from app.coverage.model import AedState
from app.coverage.week import HOURS
from app.models import CoverageAed, CoverageWeek
from app.sql_rows import insert_rows

#: Ids per IN list: PostgreSQL takes at most 65,535 parameters in one statement.
ID_CHUNK = 2000

_WEEK: Table = CoverageWeek.__table__  # type: ignore[assignment]
_AED: Table = CoverageAed.__table__  # type: ignore[assignment]
#: Shares equal to this many decimals are the same figure (no rewrite for float noise).
DECIMALS = 9


class Span(NamedTuple):
    """Hours ``start`` to ``end`` (exclusive) of the week, 0 = Monday 00:00–01:00."""

    start: int
    end: int
    share: float


@dataclass(frozen=True)
class WeekFigures:
    """The typical week as stored: the share of the area covered in each of its hours,
    counted over ``cells`` cells and ``aeds`` AEDs."""

    computed_at: datetime
    week_starts_at: datetime
    hours: tuple[float, ...]
    cells: int
    aeds: int

    @property
    def mean(self) -> float:
        return sum(self.hours) / len(self.hours) if self.hours else 0.0

    @property
    def worst(self) -> list[Span]:
        return worst_spans(self.hours)

    def starts_at(self, hour: int) -> datetime:
        return self.week_starts_at + timedelta(hours=hour)


def worst_spans(hours: Sequence[float]) -> list[Span]:
    """The runs of consecutive hours at the week's lowest share, in week order."""
    if not hours:
        return []
    low = round(min(hours), DECIMALS)
    spans: list[Span] = []
    for h, share in enumerate(hours):
        if round(share, DECIMALS) != low:
            continue
        if spans and spans[-1].end == h:
            spans[-1] = Span(spans[-1].start, h + 1, share)
        else:
            spans.append(Span(h, h + 1, share))
    return spans


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]], key: str) -> None:
    if not rows:
        return
    stmt = insert_rows(session, table, rows)  # one statement
    stmt = stmt.on_conflict_do_update(
        index_elements=[key],
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != key})
    session.execute(stmt)


def save_week(session: Session, area: str, profile: Sequence[float], week_starts_at: datetime,
              now: datetime, cell_m: float, reach_m: float, cells: int, aeds: int) -> None:
    assert len(profile) == HOURS
    _upsert(session, _WEEK, [{
        "area": area, "computed_at": now, "week_starts_at": week_starts_at, "cell_m": cell_m,
        "reach_m": reach_m, "cells": cells, "aeds": aeds,
        "figures": {"hours": [round(float(s), DECIMALS) for s in profile]},
    }], "area")


def load_week(session: Session, area: str) -> WeekFigures | None:
    row = session.execute(select(
        CoverageWeek.computed_at, CoverageWeek.week_starts_at, CoverageWeek.figures,
        CoverageWeek.cells, CoverageWeek.aeds).where(CoverageWeek.area == area)).first()
    if row is None:
        return None
    computed, week, figures, cells, aeds = row
    hours = figures.get("hours") if isinstance(figures, dict) else None
    if not isinstance(hours, list) or len(hours) != HOURS:
        return None
    return WeekFigures(computed, week, tuple(float(h) for h in hours), cells, aeds)


@dataclass(frozen=True)
class AedFigures:
    criticality: float
    night_gain: float
    state: AedState
    week_starts_at: datetime
    computed_at: datetime


def load_aeds(session: Session, ids: Iterable[int] | None = None) -> dict[int, AedFigures]:
    if ids is None:
        statements = [select(_AED)]
    else:
        wanted = sorted(set(ids))
        statements = [select(_AED).where(_AED.c.asset_id.in_(wanted[start:start + ID_CHUNK]))
                      for start in range(0, len(wanted), ID_CHUNK)]
    return {
        row.asset_id: AedFigures(row.criticality, row.night_gain,
                                 AedState(row.asset_id, row.lat, row.lon, row.hours, row.ready),
                                 row.week_starts_at, row.computed_at)
        for stmt in statements for row in session.execute(stmt)
    }


def save_aeds(session: Session, states: Mapping[int, AedState],
              criticality: Mapping[int, float], night_gain: Mapping[int, float],
              week_starts_at: datetime, now: datetime,
              known: Mapping[int, AedFigures] | None = None) -> int:
    """Store these AEDs' figures; with ``known`` (what is stored), only those that
    differ. The number written."""
    rows = []
    for aed_id, crit in criticality.items():
        state, night = states[aed_id], night_gain[aed_id]
        crit, night = round(crit, DECIMALS), round(night, DECIMALS)
        old = (known or {}).get(aed_id)
        if old is not None and (old.criticality, old.night_gain, old.state,
                                old.week_starts_at) == (crit, night, state, week_starts_at):
            continue
        rows.append({"asset_id": aed_id, "criticality": crit, "night_gain": night,
                     "lat": state.lat, "lon": state.lon, "hours": state.hours[:200],
                     "ready": state.ready, "week_starts_at": week_starts_at,
                     "computed_at": now})
    _upsert(session, _AED, rows, "asset_id")
    return len(rows)


def forget_aeds(session: Session, ids: Iterable[int]) -> None:
    gone = sorted(set(ids))
    for start in range(0, len(gone), ID_CHUNK):
        session.execute(delete(_AED).where(_AED.c.asset_id.in_(gone[start:start + ID_CHUNK])))
