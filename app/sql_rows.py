"""Bulk statements: the rows an UPDATE/INSERT/DELETE touched (typed access to
CursorResult.rowcount), the mapped objects such a statement must keep in step, and many
rows as one set of values for PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import ARRAY, CursorResult, Result, Table, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine


def affected(result: Result[Any]) -> int:
    """Rows touched; 0 when the driver cannot tell (-1)."""
    return max(0, cast(CursorResult[Any], result).rowcount)


def loaded_by_id(session: Session, model: type[Any]) -> dict[Any, Any]:
    """The objects of ``model`` this session holds, by primary key (one pass over the
    identity map, instead of a lookup per row of a bulk statement)."""
    held = session.identity_map
    out: dict[Any, Any] = {}
    for key in held.keys():  # noqa: SIM118 (IdentityMap is not a Mapping)
        if key[0] is model and len(key[1]) == 1:
            obj = held.get(key)
            if obj is not None:
                out[key[1][0]] = obj
    return out


def split_held(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]
               ) -> tuple[list[tuple[Any, dict[str, Any]]], list[dict[str, Any]]]:
    """The rows of a bulk UPDATE by primary key (``b_id``) as those whose object the
    session holds, each with it (to set the new values on: the caller then sees them,
    and a later flush cannot write back old ones), and the rest, for the statement."""
    held = loaded_by_id(session, model) if rows else {}
    loaded: list[tuple[Any, dict[str, Any]]] = []
    plain: list[dict[str, Any]] = []
    for row in rows:
        obj = held.get(row["b_id"])
        if obj is None:
            plain.append(row)
        else:
            loaded.append((obj, row))
    return loaded, plain


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def rows_as_values(table: Table, rows: Sequence[Mapping[str, Any]],
                   types: Mapping[str, TypeEngine[Any] | str]) -> TableValuedAlias:
    """PostgreSQL: these rows as one set, ``unnest`` of one array per column (each column
    typed as ``types`` says: a type, or the name of a column of ``table``), to UPDATE
    ... FROM or INSERT ... SELECT in one statement. An executemany is a statement per
    row there (pipelined, yet bound, planned and run one by one), and a multi-row VALUES
    a parameter per value, which the driver parses out of the statement's text each
    time: both cost more than the write itself."""
    arrays = []
    for name, kind in types.items():
        item = table.c[kind].type if isinstance(kind, str) else kind
        arrays.append(bindparam(f"rows_{name}", [row[name] for row in rows],
                                type_=ARRAY(item)))
    return func.unnest(*arrays).table_valued(*types).render_derived()


def insert_rows(session: Session, table: Table,
                rows: Sequence[Mapping[str, Any]]) -> tuple[Any, Any]:
    """An INSERT of these rows (all with the same keys) for the session's database, to
    add ON CONFLICT and RETURNING to, and the parameters to execute it with."""
    if is_postgresql(session):
        names = list(rows[0])
        values = rows_as_values(table, rows, {name: name for name in names})
        return pg_insert(table).from_select(names, select(*values.c)), None
    return sqlite_insert(table), list(rows)
