"""Set-based alert sync for scans over many subjects (one SQL statement per step).

The scans (expiry, stock, restock) describe the alerts that *should* be active as a
SELECT (`desired`); this module makes the alert table match it with three statements:
resolve what is no longer wanted, move stages, insert what is missing. No Python loop
over assets or lots, so 100,000 assets cost the same few round trips as ten.

`desired_query` must select, in this order, the columns: match_id (int: asset/site id), asset_id, site_id,
kind, stage (int or NULL), severity, message, and optionally detail (a JSON object, see
:class:`JsonObject`; when given, the alert's structured detail follows it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    CompoundSelect,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    exists,
    insert,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from app.models import Alert
from app.models.base import JSONType
from app.sql_rows import affected

ACTIVE = ("open", "acknowledged")


@dataclass(frozen=True)
class SyncCounts:
    opened: int = 0
    staged: int = 0
    resolved: int = 0

    def __add__(self, other: SyncCounts) -> SyncCounts:
        return SyncCounts(
            self.opened + other.opened, self.staged + other.staged, self.resolved + other.resolved
        )


DESIRED = Table(
    "tmp_alert_desired", MetaData(),
    Column("match_id", Integer), Column("asset_id", Integer), Column("site_id", Integer),
    Column("kind", String(40)), Column("stage", Integer), Column("severity", String(20)),
    Column("message", Text), Column("detail", JSONType),
    Index("ix_tmp_alert_desired_match", "match_id", "kind"),
    prefixes=["TEMPORARY"],
)
DESIRED_COLUMNS = ["match_id", "asset_id", "site_id", "kind", "stage", "severity", "message"]


class JsonObject(FunctionElement[Any]):
    """A JSON object built in SQL from ``key, value, key, value, ...``: the structured
    ``detail`` of alerts a set-based scan raises. Keys are bound as text: PostgreSQL
    cannot type an untyped parameter handed to a variadic ``any`` function."""

    type = JSONType
    inherit_cache = True

    def __init__(self, **pairs: ColumnElement[Any]) -> None:
        args: list[ColumnElement[Any]] = []
        for key, value in pairs.items():
            args += [cast(literal(key), String), value]
        super().__init__(*args)


@compiles(JsonObject)
def _json_object_sqlite(element: JsonObject, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(JsonObject, "postgresql")
def _json_object_pg(element: JsonObject, compiler: SQLCompiler, **kw: Any) -> str:
    return f"jsonb_build_object({compiler.process(element.clauses, **kw)})"


def sync_desired(
    session: Session,
    desired_query: Select[Any] | CompoundSelect[Any],
    subject_type: str,
    kinds: Iterable[str],
    now: datetime,
    scope_ids: list[int] | None = None,
) -> SyncCounts:
    """Make the active alerts of `kinds` on `subject_type` subjects equal `desired_query`.

    The desired rows are computed once into an indexed temporary table, so the three
    statements below each read a small table instead of re-running the scan.
    `scope_ids` limits the resolve step to those subjects (when `desired` was built for
    a few assets only, e.g. right after a volunteer replaced pads).
    """
    with_detail = "detail" in desired_query.selected_columns
    columns = [*DESIRED_COLUMNS, "detail"] if with_detail else DESIRED_COLUMNS
    conn = session.connection()
    DESIRED.drop(conn, checkfirst=True)
    DESIRED.create(conn)
    try:
        conn.execute(insert(DESIRED).from_select(columns, desired_query))
        return _sync(session, DESIRED, subject_type, tuple(kinds), now, scope_ids, with_detail)
    finally:
        DESIRED.drop(conn)


def _sync(
    session: Session,
    desired: Table,
    subject_type: str,
    kinds: tuple[str, ...],
    now: datetime,
    scope_ids: list[int] | None,
    with_detail: bool = False,
) -> SyncCounts:
    d = desired.c
    match_col = Alert.asset_id if subject_type == "asset" else Alert.site_id

    scope = match_col.in_(scope_ids) if scope_ids is not None else true()
    resolved = affected(session.execute(
        update(Alert)
        .where(
            Alert.kind.in_(kinds),
            Alert.subject_type == subject_type,
            Alert.status.in_(ACTIVE),
            Alert.auto_resolve.is_(True),
            scope,
            ~exists().where(d.match_id == match_col, d.kind == Alert.kind),
        )
        .values(status="resolved", resolved_at=now, resolution="cleared")
        .execution_options(synchronize_session=False)
    ))

    def pick(column: str) -> object:
        return (
            select(desired.c[column])
            .where(d.match_id == match_col, d.kind == Alert.kind)
            .limit(1)
            .scalar_subquery()
        )

    new_stage = pick("stage")
    staged = affected(session.execute(
        update(Alert)
        .where(
            Alert.kind.in_(kinds),
            Alert.subject_type == subject_type,
            Alert.status.in_(ACTIVE),
            exists().where(
                d.match_id == match_col, d.kind == Alert.kind, d.stage.is_not(None),
                d.stage.is_distinct_from(Alert.stage),
            ),
        )
        .values(
            stage=new_stage,
            severity=pick("severity"),
            message=pick("message"),
            # A stage closer to expiry is news: clear the mark so it is notified once.
            last_notified_at=case(
                (and_(Alert.stage.is_not(None), new_stage < Alert.stage), None),
                else_=Alert.last_notified_at,
            ),
        )
        .execution_options(synchronize_session=False)
    ))

    if with_detail:
        # Counts and dates move without a stage change (a lot taken out, another one
        # expiring): the open alert keeps saying what is true now, without news.
        session.execute(
            update(Alert)
            .where(
                Alert.kind.in_(kinds),
                Alert.subject_type == subject_type,
                Alert.status.in_(ACTIVE),
                exists().where(d.match_id == match_col, d.kind == Alert.kind,
                               d.detail.is_distinct_from(Alert.detail)),
            )
            .values(detail=pick("detail"))
            .execution_options(synchronize_session=False)
        )

    key = literal(f"{subject_type}:") + cast(d.match_id, String) + literal(":") + d.kind
    existing = select(Alert.id).where(Alert.dedupe_key == key, Alert.status != "resolved")
    rows = select(
        d.kind, d.severity, literal(subject_type), cast(d.match_id, String), key,
        d.asset_id, d.site_id, literal("open"), literal(True), d.message, literal(now, Alert.opened_at.type),
        literal(0, Integer), literal(0, Integer), d.stage, *([d.detail] if with_detail else []),
    ).where(~exists(existing))
    # SQLAlchemy 2.1 reports an INSERT ... SELECT rowcount only when asked to keep it.
    opened = affected(session.connection().execution_options(preserve_rowcount=True).execute(
        insert(Alert).from_select(
            ["kind", "severity", "subject_type", "subject_id", "dedupe_key", "asset_id",
             "site_id", "status", "auto_resolve", "message", "opened_at", "notify_count",
             "escalation_level", "stage", *(["detail"] if with_detail else [])],
            rows,
        )
    ))
    return SyncCounts(opened=max(opened, 0), staged=max(staged, 0), resolved=max(resolved, 0))
