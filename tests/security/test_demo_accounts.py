"""Demo accounts get passwords made for this install, shown once and stored only hashed;
the demo never lands beside real accounts unless forced."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Session

from app import create_app
from app.models import Base, User
from tests.support.web_login import csrf_token, login

OLD_SHIPPED_PASSWORD = "demo-pass-2026"
LOGIN_LINE = re.compile(r"^\s+(admin|coordinator|volunteer|viewer)\s+(\S+)$", re.M)


@pytest.fixture
def fresh(app_config: dict[str, object], app: Flask) -> Iterator[Flask]:
    """The app as `make run` builds it: no known demo password configured."""
    config = {k: v for k, v in app_config.items() if k != "DEMO_PASSWORD"}
    application = create_app(config)
    yield application
    application.extensions["aed.db"].dispose()


def test_seed_demo_prints_fresh_passwords_that_work(fresh: Flask, db: Session) -> None:
    result = fresh.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    logins = dict(LOGIN_LINE.findall(result.output))
    assert set(logins) == {"admin", "coordinator", "volunteer", "viewer"}
    assert len(set(logins.values())) == 4 and OLD_SHIPPED_PASSWORD not in logins.values()
    for username, password in logins.items():
        login(fresh.test_client(), username, password)
    client = fresh.test_client()
    resp = client.post("/login", data={"username": "admin", "password": OLD_SHIPPED_PASSWORD,
                                       "csrf_token": csrf_token(client)})
    assert resp.status_code == 401
    # Stored nowhere in plain text: scan every text column of every table.
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        for row in db.execute(select(*columns)) if columns else ():
            for value in row:
                assert not any(p in str(value) for p in logins.values()), table.name
    hashes = db.scalars(select(User.password_hash)).all()
    assert all(h.startswith("scrypt:") for h in hashes)
    again = fresh.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0 and not LOGIN_LINE.search(again.output)


def test_seed_demo_refuses_beside_real_accounts(fresh: Flask, db: Session) -> None:
    runner = fresh.test_cli_runner()
    added = runner.invoke(args=["user", "add", "zhang.wei", "--role", "admin"],
                          input="a-long-secret-1\na-long-secret-1\n")
    assert added.exit_code == 0, added.output
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code == 2
    assert "zhang.wei" in refused.output and "--force" in refused.output
    assert db.scalar(select(User).where(User.username == "admin")) is None
    forced = runner.invoke(args=["seed-demo", "--force"])
    assert forced.exit_code == 0, forced.output
    assert db.scalar(select(User).where(User.username == "admin")) is not None
