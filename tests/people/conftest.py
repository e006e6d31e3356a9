"""People tests run on the demo (its admin, coordinator, volunteer and viewer, the
district, its 12 branches and the article's teams), on both backends."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.tokens import issue_token
from app.models import AuditLog, Team, User
from tests.support.mosquitto import free_port
from tests.support.web_login import login

# Secrets the tests type; none may ever appear in the audit log or an answer.
FIRST_PASSWORD = "first-pass-7c1d"
OWN_PASSWORD = "own-choice-5e9a"


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    # No broker listens here: nothing leaks to a local broker.
    return {**app_config, "MQTT_URL": f"mqtt://127.0.0.1:{free_port()}"}


@pytest.fixture
def seeded(app: Flask, runner: FlaskCliRunner) -> Flask:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


def signed_in(app: Flask, username: str, password: str | None = None) -> FlaskClient:
    client = app.test_client()
    if password is None:
        login(client, username)
    else:
        login(client, username, password)
    return client


def account(db: Session, username: str) -> User:
    db.expire_all()
    found = db.scalar(select(User).where(User.username == username))
    assert found is not None, username
    return found


def team(db: Session, code: str) -> Team:
    found = db.scalar(select(Team).where(Team.code == code))
    assert found is not None, code
    return found


def bearer(db: Session, username: str) -> dict[str, str]:
    token = issue_token(db, account(db, username))
    db.commit()
    return {"Authorization": f"Bearer {token}"}


def audit_rows(db: Session, user_id: int) -> list[AuditLog]:
    db.expire_all()
    return list(db.scalars(select(AuditLog).where(
        AuditLog.entity_type == "user_account", AuditLog.entity_id == str(user_id))
        .order_by(AuditLog.id)))


def assert_no_secret(rows: list[AuditLog], *secrets: str) -> None:
    """Neither the passwords nor their hashes nor a token hash are in the log."""
    for row in rows:
        text = f"{row.before} {row.after}"
        for secret in secrets:
            assert secret not in text, (row.action, text)
        assert "scrypt:" not in text, (row.action, text)
        for key in ("password_hash", "api_token_hash"):
            for side in (row.before or {}, row.after or {}):
                assert side.get(key, "***") == "***", (row.action, side)
