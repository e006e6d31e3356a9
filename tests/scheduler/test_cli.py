"""`flask --app app jobs ...`: run a job by hand for a given time, once per period."""

from __future__ import annotations

import json

from flask.testing import FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, JobRun


def test_run_once_with_injected_time_and_period_guard(runner: FlaskCliRunner, db: Session) -> None:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    listed = runner.invoke(args=["jobs", "list"])
    assert {"reconcile", "deadlines", "restock", "digest"} <= set(listed.output.split())

    when = "2031-01-01T10:00:00+08:00"  # far ahead: every demo pad has expired by then
    first = runner.invoke(args=["jobs", "run-once", "reconcile", "--now", when])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.output.strip().splitlines()[-1])["summary"]
    assert summary["opened"] > 0 and summary["aeds"] == 22
    second = runner.invoke(args=["jobs", "run-once", "reconcile", "--now", when])
    assert "already ran" in second.output
    db.expire_all()
    assert len(db.scalars(select(JobRun)).all()) == 1
    expired = db.scalars(select(Alert).where(Alert.kind == "pad_expired",
                                             Alert.status == "open")).all()
    assert len(expired) == 21  # one demo AED has no pad date recorded
    naive = runner.invoke(args=["jobs", "run-once", "reconcile", "--now", "2031-01-01T10:00"])
    assert naive.exit_code != 0
