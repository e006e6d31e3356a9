from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from app import migrate
from app.db import Database
from app.models import Base


def test_migrations_reach_head_without_drift(database_url: str) -> None:
    db = Database(database_url)
    try:
        head = ScriptDirectory.from_config(migrate.alembic_config(db.engine)).get_current_head()
        assert migrate.current_revision(db.engine) == head
        assert migrate.drift(db.engine) == []
        tables = set(inspect(db.engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
    finally:
        db.dispose()


def test_migrations_go_down_to_empty_and_back(database_url: str) -> None:
    db = Database(database_url)
    try:
        migrate.downgrade(db.engine, "base")
        left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert left == set()
        migrate.upgrade(db.engine)
        assert migrate.drift(db.engine) == []
    finally:
        db.dispose()
