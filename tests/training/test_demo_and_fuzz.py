"""The demo's training programme (`flask training seed-demo` over `flask seed-demo`) shows
what the programme watches; schemathesis fuzzes the training endpoints against it with
no server error."""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskCliRunner
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.tokens import issue_token
from app.extensions import get_db
from app.models import Alert, Responder, Site, User

#: A schema-valid body can still name a team or station that does not exist: the API
#: answers 422 naming the field, an acceptance of the request's form.
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]}}})
TRAINING_PATHS = ("/courses", "/responders")


@pytest.fixture
def trained(app: Flask, runner: FlaskCliRunner) -> Flask:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["training", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "added 6 demo responders" in result.output
    return app


def test_the_training_demo_needs_the_demo(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["training", "seed-demo"])
    assert result.exit_code != 0
    assert "seed-demo" in result.output


def test_the_demo_shows_a_short_station_a_reminder_and_a_lapse(
        trained: Flask, runner: FlaskCliRunner, db: Session) -> None:
    short = db.scalar(select(Site).where(Site.external_id == "pss-renren-3"))
    full = db.scalar(select(Site).where(Site.external_id == "pss-renren-1"))
    assert short is not None and full is not None
    cover = {a.site_id: a for a in db.scalars(select(Alert).where(
        Alert.kind == "responders_below_minimum", Alert.status == "open"))}
    assert cover[short.id].detail == {"responders": 1, "minimum": 2}
    assert full.id not in cover
    kinds = sorted(a.kind for a in db.scalars(select(Alert).where(
        Alert.subject_type == "responder", Alert.status == "open")))
    assert kinds == ["certificate_expired", "certificate_expiring"]

    before = db.scalar(select(Responder.id).order_by(Responder.id.desc()))
    again = runner.invoke(args=["training", "seed-demo"])
    assert again.exit_code == 0 and "already loaded" in again.output
    db.expire_all()
    assert db.scalar(select(Responder.id).order_by(Responder.id.desc())) == before


@pytest.mark.sqlite_only
@pytest.mark.slow
@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "anonymous"])
def test_the_training_endpoints_never_fail_under_fuzzing(
        trained: Flask, signed_in: bool) -> None:
    headers = {"Accept-Encoding": "identity"}
    if signed_in:
        with get_db(trained).session() as session:
            user = session.scalars(select(User).where(User.username == "coordinator")).one()
            headers["Authorization"] = f"Bearer {issue_token(session, user)}"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", trained, config=CONFIG)
    checked: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(TRAINING_PATHS):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers)

        run()
        checked.append(operation.label)
    assert len(checked) == 8, checked
