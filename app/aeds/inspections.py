"""The monthly check of an AED: record it, move the check schedule, refresh readiness."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.aeds.refresh import AedContext, refresh_aeds
from app.alerts import lifecycle
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
    ctx: AedContext,
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
    subject = lifecycle.Subject.of_asset(asset)
    # The check itself answers these (the evaluation would only say "cleared").
    for kind in ("inspection_due", "inspection_overdue"):
        alert = lifecycle.active_alert(session, subject, kind)
        if alert is not None:
            lifecycle.resolve(session, alert, user_id, now, "inspected")
    refresh_aeds(session, [asset.id], now, ctx)
    return inspection
