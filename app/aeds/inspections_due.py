"""Inspection due / overdue per asset (monthly by default, ReadinessPolicy settings).

The same reference as readiness: the last inspection, else the install date. Reads only
the columns it needs and touches alerts only where something changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts.lifecycle import ACTIVE, AlertSpec, Subject, raise_alert, resolve_condition
from app.config import ReadinessPolicy
from app.models import Alert, Asset

KINDS = ("inspection_due", "inspection_overdue")


def wanted_kind(last: datetime | None, installed: datetime | None, interval_days: int,
                now: datetime, policy: ReadinessPolicy) -> tuple[str, datetime | None] | None:
    reference = last or installed
    if reference is None:
        return ("inspection_due", None)
    due = reference + timedelta(days=interval_days)
    if now > due:
        return ("inspection_overdue", due)
    if now > due - timedelta(days=policy.inspection_due_soon_days):
        return ("inspection_due", due)
    return None


def run_inspections_due(session: Session, now: datetime,
                        policy: ReadinessPolicy) -> dict[str, int]:
    active: dict[tuple[int, str], Alert] = {
        (a.asset_id, a.kind): a
        for a in session.scalars(select(Alert).where(
            Alert.kind.in_(KINDS), Alert.status.in_(ACTIVE), Alert.asset_id.is_not(None)))
        if a.asset_id is not None
    }
    rows = session.execute(select(
        Asset.id, Asset.site_id, Asset.name, Asset.last_inspection_at, Asset.install_date,
        Asset.inspection_interval_days,
    )).all()
    opened = resolved = 0
    for asset_id, site_id, name, last, install, interval in rows:
        installed = (datetime.combine(install, datetime.min.time(), tzinfo=now.tzinfo)
                     if install else None)
        want = wanted_kind(last, installed, interval or policy.inspection_interval_days, now,
                           policy)
        subject = Subject("asset", str(asset_id), asset_id=asset_id, site_id=site_id)
        for kind in KINDS:
            stale = (want is None or want[0] != kind) and (asset_id, kind) in active
            if stale and resolve_condition(session, subject, kind, now, "inspected") is not None:
                resolved += 1
        if want is None or (asset_id, want[0]) in active:
            continue
        kind, due = want
        when = due.date().isoformat() if due else ""
        text = {
            "inspection_due": f"{name}: 月度检查将于 {when} 到期 · monthly check due {when}",
            "inspection_overdue": f"{name}: 月度检查已逾期(应于 {when})· monthly check overdue since {when}",
        }[kind] if due else f"{name}: 从未检查 · never inspected"
        raise_alert(session, subject, AlertSpec(kind, text), now)
        opened += 1
    return {"opened": opened, "resolved": resolved}
