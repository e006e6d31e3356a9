"""The monthly check of an AED: record it, move the check schedule, refresh readiness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.aeds.status import refresh_statuses
from app.alerts.lifecycle import Subject, resolve_condition
from app.config import ReadinessPolicy
from app.models import Asset, Inspection

CHECK_ITEMS = ("ready_light_ok", "pads_ok", "battery_ok", "cabinet_ok", "alarm_ok", "supplies_ok")


@dataclass(frozen=True)
class Checklist:
    """Each item True (fine), False (a problem) or None (not checked)."""

    ready_light_ok: bool | None = None
    pads_ok: bool | None = None
    battery_ok: bool | None = None
    cabinet_ok: bool | None = None
    alarm_ok: bool | None = None
    supplies_ok: bool | None = None

    @property
    def result(self) -> str:
        return "fail" if any(getattr(self, k) is False for k in CHECK_ITEMS) else "pass"

    @property
    def problems(self) -> list[str]:
        return [k for k in CHECK_ITEMS if getattr(self, k) is False]


def record_inspection(
    session: Session,
    asset: Asset,
    checklist: Checklist,
    user_id: int | None,
    now: datetime,
    policy: ReadinessPolicy,
    tz: ZoneInfo,
    notes: str | None = None,
    photo_path: str | None = None,
) -> Inspection:
    inspection = Inspection(
        asset_id=asset.id, site_id=asset.site_id, user_id=user_id, performed_at=now,
        result=checklist.result, notes=(notes or "").strip() or None, photo_path=photo_path,
        **{k: getattr(checklist, k) for k in CHECK_ITEMS},
    )
    session.add(inspection)
    asset.last_inspection_at = now
    subject = Subject.of_asset(asset)
    for kind in ("inspection_due", "inspection_overdue"):
        resolve_condition(session, subject, kind, now, resolution="inspected")
    refresh_statuses(session, [asset], now, policy, tz)
    return inspection
