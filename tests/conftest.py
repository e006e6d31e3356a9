"""Shared fixtures: the app on SQLite and on a real PostgreSQL, client and CLI runner.

Every test that takes `app` (or `db`) runs once per backend. The PostgreSQL tier needs a
server (see tests/support/postgres.py); with CI=true a missing one fails the run,
otherwise the summary says loudly that the tier was skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import create_app, migrate
from app.db import Database
from app.extensions import NOTIFIER
from app.models import Base
from tests.support.postgres import PostgresServer, PostgresUnavailable, postgres_server
from tests.support.services import need_service
from tests.support.web_login import DEMO_PASSWORD

_pg_report: dict[str, object] = {"ran": 0, "skipped_reason": None}


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        with postgres_server() as server:
            yield server
    except PostgresUnavailable as exc:
        _pg_report["skipped_reason"] = str(exc)
        need_service(str(exc))


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A fresh database of this run's own, migrated to head once per backend."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
        server = None
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create_database()
    db = Database(url)
    migrate.upgrade(db.engine)
    db.dispose()
    yield url
    if server is not None:
        server.drop_database(url)


def _empty_all_tables(db: Database) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in tables:
                conn.execute(table.delete())
        else:
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, object]:
    return {
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret-key-0123456789",
        # seed-demo gives the demo accounts this known password instead of random ones.
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "TESTING": True,
    }


@pytest.fixture
def app(app_config: dict[str, object], backend: str) -> Iterator[Flask]:
    application = create_app(app_config)
    db: Database = application.extensions["aed.db"]
    _empty_all_tables(db)
    if backend == "postgresql":
        _pg_report["ran"] = int(_pg_report["ran"]) + 1  # type: ignore[call-overload]
    yield application
    notifier = application.extensions.get(NOTIFIER)
    if notifier is not None:  # a page woke one: it holds connections of its own
        notifier.stop()
    db.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    database: Database = app.extensions["aed.db"]
    session = database.session_factory()
    yield session
    session.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`@pytest.mark.sqlite_only` tests (browser flows, the API fuzz run) need one backend,
    and `@pytest.mark.pg_only` tests (restarting the database server) only make sense on
    PostgreSQL: the other copies are deselected rather than skipped, so CI shows no skips."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec is not None else None
        unwanted = (backend == "postgresql" and item.get_closest_marker("sqlite_only")) or (
            backend == "sqlite" and item.get_closest_marker("pg_only"))
        (drop if unwanted else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reason = _pg_report["skipped_reason"]
    if reason:
        terminalreporter.write_sep("!", "PostgreSQL tier SKIPPED", red=True, bold=True)
        terminalreporter.write_line(f"  reason: {reason}")
        terminalreporter.write_line("  Only SQLite was tested. Install postgresql or set TEST_DATABASE_URL.")
    elif _pg_report["ran"]:
        terminalreporter.write_sep(
            "=", f"PostgreSQL tier ran: {_pg_report['ran']} app tests on a real PostgreSQL",
            green=True,
        )
