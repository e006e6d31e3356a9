"""Time for the coverage model: whether an AED is open at a moment, and in each of the
168 hours of a typical week.

The typical week runs from Monday 00:00 local time (TIMEZONE) for seven days and holds
no public holiday and no adjusted working day (maps.cn_calendar): the week of the
moment asked about if it is ordinary, else the next ordinary one. Each hour is judged at
its middle (08:30 for 08:00–09:00). Opening hours are read only through maps.hours'
public functions (:func:`maps.hours.intervals`, :func:`maps.hours.open_state`), so the
holiday calendar and the OSM syntax are theirs; a value they cannot evaluate is
"unknown", counted as open or closed by ``COVERAGE_UNKNOWN_HOURS_OPEN``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from maps.cn_calendar import day as calendar_day
from maps.hours import intervals, open_state

HOURS = 168
#: How many weeks ahead to look for one without holidays (Spring Festival is at most
#: two weeks long).
_WEEKS_AHEAD = 6


def _ordinary(monday: date) -> bool:
    for n in range(7):
        d = calendar_day(monday + timedelta(days=n))
        if d.holiday or d.works_as is not None:
            return False
    return True


def typical_week_start(at: datetime, tz: ZoneInfo) -> datetime:
    """Monday 00:00 local of the typical week for ``at`` (aware), in ``tz``."""
    local = at.astimezone(tz).date()
    monday = local - timedelta(days=local.weekday())
    for n in range(_WEEKS_AHEAD):
        candidate = monday + timedelta(weeks=n)
        if _ordinary(candidate):
            monday = candidate
            break
    return datetime.combine(monday, time.min, tz)


def moment(at: datetime | None, now: datetime, tz: ZoneInfo) -> datetime:
    """The moment asked about: ``now`` when none; a naive one is local time (``tz``)."""
    if at is None:
        return now
    return at if at.tzinfo is not None else at.replace(tzinfo=tz)


def hour_moment(week_start: datetime, hour: int) -> datetime:
    """The moment hour ``hour`` (0 = Monday 00:00–01:00) of the week is judged at."""
    return week_start + timedelta(hours=hour, minutes=30)


@lru_cache(maxsize=4096)
def _week_mask(hours: str, week_start: datetime, unknown_open: bool) -> bytes:
    spans = intervals(hours, week_start, week_start + timedelta(days=7)) if hours else None
    mask = bytearray(HOURS)
    if spans is None:
        return bytes([unknown_open]) * HOURS
    k = 0
    for h in range(HOURS):
        moment = hour_moment(week_start, h)
        while k < len(spans) - 1 and spans[k].end <= moment:
            k += 1
        span = spans[k]
        state = span.state if span.start <= moment < span.end else "unknown"
        mask[h] = state == "open" or (state == "unknown" and unknown_open)
    return bytes(mask)


def week_mask(hours: str, week_start: datetime, unknown_open: bool) -> np.ndarray:
    """Open (True) in each hour of the week starting at ``week_start``."""
    return np.frombuffer(_week_mask(hours, week_start, unknown_open), dtype=np.bool_)


def open_at(hours: Iterable[str], at: datetime, unknown_open: bool) -> Mapping[str, bool]:
    """Open at ``at`` for each distinct value (so ten thousand AEDs cost a few calls)."""
    out: dict[str, bool] = {}
    for value in hours:
        if value in out:
            continue
        state = open_state(value, at).open if value else None
        out[value] = unknown_open if state is None else state
    return out
