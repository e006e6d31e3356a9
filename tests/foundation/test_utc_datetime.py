"""The UTC moment column's SQLite shortcut (app/models/base.UTCDateTime) writes and reads
exactly what SQLAlchemy's own DATETIME processing would: the scheduler's queries compare
the stored text with bound moments, and rows written before the shortcut must read the
same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Table,
    create_engine,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg

from app.models.base import UTCDateTime, sqlite_moment, sqlite_text

DIALECT = sqlite.dialect()
_BIND = DateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
_RESULT = DateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
MOMENTS = [
    datetime(2026, 11, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    datetime(2026, 6, 1, 8, 30, 15, 120, tzinfo=timezone(timedelta(hours=8))),
    datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(9999, 1, 1, tzinfo=UTC),
]


def layered_text(moment: datetime) -> str:
    assert _BIND is not None
    return str(_BIND(moment.astimezone(UTC).replace(tzinfo=None)))


def layered_moment(stored: str) -> datetime:
    assert _RESULT is not None
    value = _RESULT(stored)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC)


def test_the_column_uses_the_shortcut_on_sqlite_only() -> None:
    column = UTCDateTime().dialect_impl(DIALECT)
    assert column.bind_processor(DIALECT) is sqlite_text
    assert column.result_processor(DIALECT, None) is sqlite_moment
    postgresql = psycopg.dialect()
    assert UTCDateTime().dialect_impl(postgresql).bind_processor(postgresql) is not sqlite_text


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_the_shortcut_stores_and_reads_what_the_layers_would(moment: datetime) -> None:
    stored = sqlite_text(moment)
    assert stored == layered_text(moment)
    read = sqlite_moment(stored)
    assert read == layered_moment(layered_text(moment)) == moment
    assert read is not None and read.tzinfo is UTC


def test_naive_moments_are_refused_and_foreign_text_is_read() -> None:
    with pytest.raises(ValueError, match="naive"):
        sqlite_text(datetime(2026, 11, 29, 1, 0))
    # Text written by another tool: no microseconds, or with its own offset.
    assert sqlite_moment("2026-11-29 01:00:00") == datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
    assert sqlite_moment("2026-11-29T09:00:00+08:00") == datetime(2026, 11, 29, 1, 0,
                                                                   tzinfo=UTC)
    assert sqlite_moment(None) is None and sqlite_text(None) is None


def test_a_query_compares_stored_moments_with_bound_ones() -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", UTCDateTime()))
    engine = create_engine("sqlite://")
    table.create(engine)
    early, late = MOMENTS[0], MOMENTS[0] + timedelta(microseconds=1)
    with engine.begin() as conn:
        conn.execute(insert(table), [{"id": 1, "at": early}, {"id": 2, "at": late}])
        assert conn.execute(text("SELECT at FROM t WHERE id = 1")).scalar() == (
            "2026-11-29 01:00:00.000000")
        assert conn.execute(select(table.c.id).where(table.c.at > early)).scalars().all() == [2]
        assert conn.execute(select(table.c.at).where(table.c.id == 2)).scalar() == late
