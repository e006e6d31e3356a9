"""The monthly check schedule of an AED, once: readiness and the inspection alerts both
read it.

The reference is the last inspection, else the install date; the check is due
``interval`` days later, "due soon" ``due_soon_days`` before that, overdue after it. An
AED with neither date was never checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum


class CheckState(Enum):
    OK = "ok"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    NEVER = "never"


@dataclass(slots=True)  # not frozen: made per AED per pass; a frozen __init__ costs 10x
class CheckSchedule:
    state: CheckState
    due_at: datetime | None


def check_schedule(last_inspection_at: datetime | None, install_date: date | None,
                   interval_days: int, due_soon_days: int, now: datetime) -> CheckSchedule:
    reference = last_inspection_at
    if reference is None and install_date is not None:
        reference = datetime.combine(install_date, time.min, tzinfo=UTC)
    if reference is None:
        return CheckSchedule(CheckState.NEVER, None)
    due = reference + timedelta(days=interval_days)
    if now > due:
        return CheckSchedule(CheckState.OVERDUE, due)
    if now > due - timedelta(days=due_soon_days):
        return CheckSchedule(CheckState.DUE_SOON, due)
    return CheckSchedule(CheckState.OK, due)
