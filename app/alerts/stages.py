"""Lead-time stages of anything that expires (pads, batteries, stock lots).

An item with ``d`` days left (local calendar days where it stands) is in stage 0 once
``d <= 0`` (an item expiring today may not be used today), else in the smallest lead
time ``>= d`` (90 → 30 → 7 by default), else in no stage. Moving to a closer stage is
news (notified once per stage); a stage at or within ``critical_within_days`` is
critical. The same rule is offered in Python (one item) and as SQL (a whole table, for
set-based scans): the table test checks that they agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import ColumnElement, case

EXPIRED = 0


def expiry_stage(expiry: date | None, today: date, leads: Sequence[int]) -> int | None:
    if expiry is None:
        return None
    return lead_stage((expiry - today).days, sorted(leads))


def lead_stage(days_left: int, leads_ascending: Sequence[int]) -> int | None:
    """The stage of something with ``days_left``: expired, the nearest lead it is
    within, or none."""
    if days_left <= 0:
        return EXPIRED
    for lead in leads_ascending:
        if days_left <= lead:
            return lead
    return None


def stage_severity(expiry: date, today: date, critical_within_days: int) -> str:
    return "critical" if (expiry - today).days <= critical_within_days else "warning"


def expiry_stage_sql(expiry: ColumnElement[date], today: date,
                     leads: Sequence[int]) -> ColumnElement[int]:
    whens: list[tuple[ColumnElement[bool], int]] = [(expiry <= today, EXPIRED)]
    for lead in sorted(leads):
        whens.append((expiry <= today + timedelta(days=lead), lead))
    return case(*whens, else_=None)


def stage_severity_sql(expiry: ColumnElement[date], today: date,
                       critical_within_days: int) -> ColumnElement[str]:
    return case((expiry <= today + timedelta(days=critical_within_days), "critical"),
                else_="warning")
