"""Bulk statements: the rows an UPDATE/INSERT/DELETE touched (typed access to
CursorResult.rowcount), the mapped objects such a statement must keep in step, and many
rows as one set of values, to UPDATE ... FROM or INSERT ... SELECT in one statement."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    JSON,
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


def rows_as_set(session: Session, table: Table, rows: Sequence[Mapping[str, Any]],
                types: Mapping[str, TypeEngine[Any] | str]) -> Any:
    """These rows as one set of values, to UPDATE ... FROM or INSERT ... SELECT in one
    statement: a column per name of ``types``, each typed as it says (a type, or the
    name of a column of ``table``). An executemany passes every value through the
    column types' processing one statement at a time (on PostgreSQL also bound,
    planned and run one by one), which costs more than the write: a pass over 100,000
    AEDs spent 3 s of 11 there (2026-12-02). A value every row shares is bound once."""
    dialect = session.get_bind().dialect
    varying: dict[str, tuple[TypeEngine[Any], list[Any]]] = {}
    shared: dict[str, Any] = {}
    for name, kind in types.items():
        type_ = table.c[kind].type if isinstance(kind, str) else kind
        values = list(map(itemgetter(name), rows))
        if (len(values) > 1 and values.count(values[0]) == len(values)
                and not isinstance(type_.dialect_impl(dialect), JSON)):
            shared[name] = bindparam(f"rows_{name}", values[0], type_=type_).label(name)
        else:
            varying[name] = (type_, values)
    if not varying:  # a FROM needs a column
        name = next(iter(types))
        varying[name] = (shared.pop(name).type, list(map(itemgetter(name), rows)))
    read = _arrays if dialect.name == "postgresql" else _json_document
    return select(*read(dialect, varying), *shared.values()).subquery()


def _arrays(dialect: Dialect, columns: Mapping[str, tuple[TypeEngine[Any], list[Any]]]
            ) -> list[Any]:
    """PostgreSQL: ``unnest`` of one array per column. A multi-row VALUES would be a
    parameter per value, which the driver parses out of the statement's text each time."""
    arrays = [bindparam(f"rows_{name}", values, type_=ARRAY(type_))
              for name, (type_, values) in columns.items()]
    return list(func.unnest(*arrays).table_valued(*columns).render_derived().c)


def _json_document(dialect: Dialect,
                   columns: Mapping[str, tuple[TypeEngine[Any], list[Any]]]) -> list[Any]:
    """SQLite: the rows, in the form the columns store, as one JSON array of arrays read
    back by ``json_each``; one parameter, whatever the number of rows. A JSON column's
    documents go in as they are and come out as their text (``->``: None as 'null', as
    the JSON type stores it), instead of each serialized on its own and quoted again."""
    stored: list[list[Any]] = []
    documents: list[bool] = []
    for type_, values in columns.values():
        impl = type_.dialect_impl(dialect)
        form = None if isinstance(impl, JSON) else impl.bind_processor(dialect)
        stored.append(values if form is None else list(map(form, values)))
        documents.append(isinstance(impl, JSON))
    payload = json.dumps(list(zip(*stored, strict=True)), ensure_ascii=False,
                         separators=(",", ":"))
    each = func.json_each(bindparam("rows_json", payload, type_=String)).table_valued("value")
    return [(each.c.value.op("->")(f"$[{i}]") if document
             else func.json_extract(each.c.value, f"$[{i}]")).label(name)
            for i, (name, document) in enumerate(zip(columns, documents, strict=True))]


def one_of(column: Any, name: str, postgresql: bool) -> Any:
    """``column IN`` the list passed as parameter ``name`` (in the form :func:`listed`
    gives). PostgreSQL gets the values as literals (app/alerts/apply.py says why);
    SQLite one JSON array, read by ``json_each``: an expanded list names and binds
    every value of every execution, which cost more than the lookups of 2,000 ids."""
    if postgresql:
        return column.in_(bindparam(name, expanding=True, literal_execute=True))
    each = func.json_each(bindparam(name, type_=String)).table_valued("value")
    return column.in_(select(each.c.value))


def listed(postgresql: bool, values: Sequence[Any]) -> Any:
    """The values of a :func:`one_of` parameter."""
    return list(values) if postgresql else json.dumps(list(values), ensure_ascii=False)


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> Any:
    """An INSERT of these rows (all with the same keys, as one set: :func:`rows_as_set`)
    for the session's database, to add ON CONFLICT and RETURNING to."""
    names = list(rows[0])
    values = rows_as_set(session, table, rows, {name: name for name in names})
    insert = pg_insert if is_postgresql(session) else sqlite_insert
    # WHERE: with ON CONFLICT, SQLite's parser would read the ON as a join's without one.
    return insert(table).from_select(
        names, select(*(values.c[name] for name in names)).where(true()))
