"""Bulk statements: the rows an UPDATE/INSERT/DELETE touched (typed access to
CursorResult.rowcount), the mapped objects such a statement must keep in step, and many
rows as one set of values, to UPDATE ... FROM or INSERT ... SELECT in one statement."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    CursorResult,
    Dialect,
    Result,
    String,
    Table,
    bindparam,
    func,
    select,
    true,
)
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


def rows_as_set(session: Session, table: Table, rows: Sequence[Mapping[str, Any]],
                types: Mapping[str, TypeEngine[Any] | str]) -> Any:
    """These rows as one set of values with a column per name of ``types`` (typed as
    :func:`rows_as_values` says), for the session's database: arrays on PostgreSQL, one
    JSON document on SQLite. An executemany passes every value through the column
    types' processing one statement at a time, which costs more than the write: a pass
    over 100,000 AEDs spent 3 s of 11 there (2026-12-02)."""
    if is_postgresql(session):
        return rows_as_values(table, rows, types)
    return _rows_as_json(session.get_bind().dialect, table, rows, types)


def _stored_form(kind: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's conversion of a value to what the database stores, remembered
    per value: a pass writes the same few moments and dates many times."""
    convert = kind.dialect_impl(dialect).bind_processor(dialect)
    if convert is None:
        return None
    seen: dict[Any, Any] = {}

    def stored(value: Any) -> Any:
        if isinstance(value, dict | list):  # JSON documents: each its own
            return convert(value)
        try:
            return seen[value]
        except KeyError:
            seen[value] = out = convert(value)
            return out

    return stored


def _rows_as_json(dialect: Dialect, table: Table, rows: Sequence[Mapping[str, Any]],
                  types: Mapping[str, TypeEngine[Any] | str]) -> Any:
    """SQLite: the rows, in the form the columns store, as one JSON array of arrays read
    back by ``json_each``; one parameter, whatever the number of rows."""
    names = list(types)
    forms = [_stored_form(table.c[kind].type if isinstance(kind, str) else kind, dialect)
             for kind in types.values()]
    payload = json.dumps([
        [row[name] if form is None else form(row[name]) for name, form in zip(
            names, forms, strict=True)]
        for row in rows], ensure_ascii=False, separators=(",", ":"))
    each = func.json_each(bindparam("rows_json", payload, type_=String)).table_valued("value")
    return select(*(func.json_extract(each.c.value, f"$[{i}]").label(name)
                    for i, name in enumerate(names))).subquery()


def insert_rows(session: Session, table: Table,
                rows: Sequence[Mapping[str, Any]]) -> tuple[Any, Any]:
    """An INSERT of these rows (all with the same keys) for the session's database, to
    add ON CONFLICT and RETURNING to, and the parameters to execute it with (none: the
    rows are one set, :func:`rows_as_set`)."""
    names = list(rows[0])
    values = rows_as_set(session, table, rows, {name: name for name in names})
    insert = pg_insert if is_postgresql(session) else sqlite_insert
    # WHERE: with ON CONFLICT, SQLite's parser would read the ON as a join's without one.
    return insert(table).from_select(names, select(*values.c).where(true())), None
