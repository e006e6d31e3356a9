"""Once per period: a job claims its period in the same transaction as its side effect.

Periods are sortable strings (UTC ISO time of the slot start), so "newer" is a string
comparison. Two processes claiming the same period race on one row: the UPDATE of the
second waits for the first to commit, then finds the period no longer newer and stops.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import JobWatermark
from app.sql_rows import affected


def claim_period(session: Session, job_id: str, period: str, now: datetime) -> bool:
    """True when this caller owns `period` for `job_id` (commit to keep the claim)."""
    moved = affected(session.execute(
        update(JobWatermark)
        .where(JobWatermark.job_id == job_id, JobWatermark.period < period)
        .values(period=period, completed_at=now)
        .execution_options(synchronize_session=False)
    ))
    if moved:
        return True
    if session.get(JobWatermark, job_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(JobWatermark(job_id=job_id, period=period, completed_at=now))
    except IntegrityError:
        return False
    return True
