"""The lead-time stage rule: its Python and SQL renditions agree on every day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Date, literal, select
from sqlalchemy.orm import Session

from app.alerts.stages import expiry_stage, expiry_stage_sql, stage_severity, stage_severity_sql

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize("leads", [(90, 30, 7), (7, 30, 90), (14,)])
def test_python_and_sql_agree(db: Session, leads: tuple[int, ...]) -> None:
    for left in range(-3, 100):
        expiry = TODAY + timedelta(days=left)
        column = literal(expiry, Date)
        sql_stage, sql_severity = db.execute(select(
            expiry_stage_sql(column, TODAY, leads), stage_severity_sql(column, TODAY, 7))).one()
        assert sql_stage == expiry_stage(expiry, TODAY, leads), left
        assert sql_severity == stage_severity(expiry, TODAY, 7), left


def test_stages_by_days_left() -> None:
    leads = (90, 30, 7)
    assert [expiry_stage(TODAY + timedelta(days=d), TODAY, leads)
            for d in (91, 90, 31, 30, 8, 7, 1, 0, -1)] == [None, 90, 90, 30, 30, 7, 7, 0, 0]
    assert expiry_stage(None, TODAY, leads) is None
