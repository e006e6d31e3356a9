"""Apply the evaluation to AEDs, in the caller's transaction: store each status with its
reasons, start use incidents, and make the AED alerts follow.

Every writer calls :func:`refresh_aeds` for the AEDs it touched (ingest, imports and
registry edits, inspections, pad replacement, incidents, maintenance, the scheduler's
jobs), and the reconciliation calls it for all of them. Only what changed is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, case, update
from sqlalchemy.orm import Session

from app.aeds.evaluation import OPENING_KINDS, AedFacts, EvaluationPolicy, evaluate
from app.aeds.facts import StoredStatus, load_facts
from app.alerts.apply import Applied, SubjectWants, apply_wanted
from app.alerts.catalogue import KINDS
from app.alerts.lifecycle import Subject
from app.alerts.policy import AlertPolicy
from app.config import ReadinessPolicy, Settings
from app.coverage.freshness import track_coverage
from app.feeds.changes import record_changes
from app.heap import cycle_collection_paused
from app.models import Asset
from app.sql_rows import rows_as_set, split_held

#: Every alert kind about an AED: the evaluation decides them all.
AED_KINDS = frozenset(k.code for k in KINDS.values() if k.subject == "asset")

_ASSET: Table = Asset.__table__  # type: ignore[assignment]
# One statement for whatever of the answer changed (status, reasons, next look): the
# status's time moves only when the status does.
_ANSWER_TYPES = {"b_id": "id", "status": "status", "status_reasons": "status_reasons",
                 "reevaluate_at": "reevaluate_at", "now": "status_changed_at"}


def _answer_update(v: Any) -> Any:
    """The UPDATE of answers whose values are ``v[name]`` (bound parameters, or the columns
    of a set of rows)."""
    return (
        update(_ASSET).where(_ASSET.c.id == v["b_id"])
        .values(status=v["status"], status_reasons=v["status_reasons"],
                reevaluate_at=v["reevaluate_at"],
                status_changed_at=case((_ASSET.c.status != v["status"], v["now"]),
                                       else_=_ASSET.c.status_changed_at))
    )


_ANSWER_UPDATE = _answer_update({name: bindparam(name) for name in _ANSWER_TYPES})
_INCIDENT_UPDATE = (
    update(_ASSET).where(_ASSET.c.id == bindparam("b_id"), _ASSET.c.in_use_since.is_(None))
    .values(in_use_since=bindparam("in_use_since"))
)


@dataclass(frozen=True, slots=True)
class AedContext:
    policy: EvaluationPolicy
    tz: ZoneInfo
    #: The settings the evaluation was made of (thresholds sent to gateways, too).
    readiness: ReadinessPolicy

    @classmethod
    def of(cls, settings: Settings, alerts: AlertPolicy) -> AedContext:
        return cls(EvaluationPolicy.of(settings.readiness, alerts), settings.tz,
                   settings.readiness)


@dataclass
class Refreshed:
    evaluated: int = 0
    #: (asset id, old status, new status) of each AED whose status moved.
    moved: list[tuple[int, str, str]] = field(default_factory=list)
    alerts: Applied = field(default_factory=Applied)


def refresh_aeds(session: Session, asset_ids: Iterable[int], now: datetime,
                 ctx: AedContext) -> Refreshed:
    """Evaluate these AEDs (other assets are skipped) and apply the result."""
    session.flush()  # the caller's changes are facts too
    ids = list(asset_ids)
    with cycle_collection_paused():
        out = apply_evaluations(session, list(load_facts(session, ids)), now, ctx)
        follow_changes(session, ids, now, ctx)
    return out


def follow_changes(session: Session, asset_ids: Sequence[int], now: datetime,
                   ctx: AedContext) -> None:
    """What follows the evaluation of AEDs that may have changed: the coverage they give
    and their public record (app/feeds/changes.py), in the same transaction."""
    track_coverage(session, asset_ids, now, ctx.tz)
    record_changes(session, asset_ids, now, ctx.tz)


def apply_evaluations(session: Session, rows: Sequence[tuple[AedFacts, StoredStatus]],
                      now: datetime, ctx: AedContext) -> Refreshed:
    today = now.astimezone(ctx.tz).date()
    out = Refreshed(evaluated=len(rows))
    answers: list[dict[str, Any]] = []
    incidents: list[dict[str, Any]] = []
    wants: list[SubjectWants] = []
    for facts, stored in rows:
        result = evaluate(facts, now, today, ctx.policy)
        again = _next_look(result.changes_at, result.changes_on, ctx.tz)
        reasons = result.reason_text or None
        if result.status != stored.status:
            out.moved.append((facts.asset_id, stored.status, result.status))
        if (result.status, reasons, again) != (stored.status, stored.reasons,
                                               stored.reevaluate_at):
            answers.append({"b_id": facts.asset_id, "status": result.status,
                            "status_reasons": reasons, "reevaluate_at": again, "now": now})
        if result.incident_starts_at is not None:
            incidents.append({"b_id": facts.asset_id, "in_use_since": result.incident_starts_at})
        wants.append(SubjectWants(
            Subject("asset", str(facts.asset_id), asset_id=facts.asset_id,
                    site_id=facts.site_id),
            result.wanted,
            result.unjudged))
    _write(session, _ANSWER_UPDATE, answers, ("status", "status_reasons", "reevaluate_at"))
    _write(session, _INCIDENT_UPDATE, incidents, ("in_use_since",))
    out.alerts = apply_wanted(session, "asset", wants, AED_KINDS, now, chain=OPENING_KINDS)
    return out


#: "Nothing can change this answer but new facts" (NULL means never evaluated).
NEVER = datetime(9999, 1, 1, tzinfo=UTC)


def _next_look(at: datetime | None, on: date | None, tz: ZoneInfo) -> datetime:
    """When to evaluate again: the next moment, or the start of the next local day, that
    can change the answer."""
    if on is not None:
        midnight = _midnight(on, tz)
        at = midnight if at is None else min(at, midnight)
    return at or NEVER


@lru_cache(maxsize=4096)
def _midnight(day: date, tz: ZoneInfo) -> datetime:
    """The start of a local day, in UTC (a pass asks for the same few days 100,000 times)."""
    return datetime.combine(day, time.min, tz).astimezone(UTC)


def _write(session: Session, stmt: Any, rows: list[dict[str, Any]],
           columns: tuple[str, ...]) -> None:
    """Through the mapped object where the session holds one (so the caller sees the
    new values), else one UPDATE of the rows as a set (the answers), or an executemany."""
    loaded, plain = split_held(session, Asset, rows)
    for asset, row in loaded:
        if stmt is _ANSWER_UPDATE and asset.status != row["status"]:
            asset.status_changed_at = row["now"]
        if stmt is _INCIDENT_UPDATE and asset.in_use_since is not None:
            continue
        for name in columns:
            setattr(asset, name, row[name])
    if not plain:
        return
    if stmt is _ANSWER_UPDATE:  # the many rows of a sweep: one statement
        session.execute(_answer_update(rows_as_set(session, _ASSET, plain, _ANSWER_TYPES).c),
                        execution_options={"synchronize_session": False})
        return
    session.execute(stmt, plain, execution_options={"synchronize_session": False})
