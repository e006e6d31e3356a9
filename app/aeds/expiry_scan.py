"""Expiry scan: pads, batteries and stock lots, staged by lead time, all in SQL.

An item with `d` days left (local calendar days where it stands) wants:
- nothing when d is beyond the longest lead time;
- one `*_expiring` alert whose stage is the smallest lead time >= d (90 → 30 → 7);
  moving to a closer stage updates the same alert and is notified once per stage;
- `*_expired` once d <= 0 (an item expiring today may not be used today, as in
  readiness), which resolves the `*_expiring` alert.
A new expiry date (pads replaced) drops the item out of the desired set, so the next
scan resolves its alerts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, String, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from app.aeds.status import refresh_statuses
from app.alerts.bulk_sync import SyncCounts, sync_desired
from app.alerts.policy import AlertPolicy
from app.config import Settings
from app.models import Alert, Asset, DeviceState, StockLot

NAMES = {"pad": ("电极片", "pads"), "battery": ("电池", "battery")}


def _stage(expiry: ColumnElement[date], today: date, leads: Sequence[int]) -> ColumnElement[int]:
    whens: list[tuple[ColumnElement[bool], int]] = [(expiry <= today, 0)]
    for days in sorted(leads):
        whens.append((expiry <= today + timedelta(days=days), days))
    return case(*whens, else_=None)


def _severity(expiry: ColumnElement[date], today: date, policy: AlertPolicy) -> ColumnElement[str]:
    return case(
        (expiry <= today + timedelta(days=policy.critical_within_days), "critical"),
        else_="warning",
    )


def _asset_expiry(part: str) -> ColumnElement[date]:
    """Expiry as readiness sees it: a device reading wins over the registry date."""
    if part == "battery":
        return func.coalesce(DeviceState.battery_expiry, Asset.battery_expiry)
    pads = func.coalesce(DeviceState.pad_expiry, Asset.pad_expiry)
    return case(
        (and_(Asset.paediatric_pads.is_(True), Asset.paediatric_pad_expiry.is_not(None),
              Asset.paediatric_pad_expiry < pads), Asset.paediatric_pad_expiry),
        else_=pads,
    )


def scan_asset_expiry(
    session: Session, part: str, today: date, now: datetime, policy: AlertPolicy,
    asset_ids: list[int] | None = None,
) -> SyncCounts:
    zh, en = NAMES[part]
    leads = policy.expiry_lead_days
    expiry = _asset_expiry(part)
    on = cast(expiry, String)
    expired = expiry <= today
    inner = (
        select(
            Asset.id.label("match_id"),
            Asset.id.label("asset_id"),
            Asset.site_id.label("site_id"),
            case((expired, f"{part}_expired"), else_=f"{part}_expiring").label("kind"),
            _stage(expiry, today, leads).label("stage"),
            _severity(expiry, today, policy).label("severity"),
            case(
                (expired, Asset.name + f": {zh}已于 " + on + f" 过期 · {en} expired on " + on),
                else_=Asset.name + f": {zh}将于 " + on + f" 到期 · {en} expire on " + on,
            ).label("message"),
        )
        .select_from(Asset)
        .outerjoin(DeviceState, DeviceState.device_pk == Asset.device_pk)
        .where(Asset.kind == "aed", expiry <= today + timedelta(days=max(leads)))
    )
    if asset_ids is not None:
        inner = inner.where(Asset.id.in_(asset_ids))
    return sync_desired(
        session, inner, "asset", (f"{part}_expiring", f"{part}_expired"),
        now, scope_ids=asset_ids,
    )


def scan_stock_expiry(
    session: Session, today: date, now: datetime, policy: AlertPolicy
) -> SyncCounts:
    """One `stock_expiring` alert per station, staged by its soonest-expiring lot
    (stage 0: something has already expired)."""
    leads = policy.stock_lead_days
    per_site = (
        select(
            StockLot.site_id.label("site_id"),
            func.min(StockLot.expiry).label("first_expiry"),
            func.count().label("lots"),
        )
        .where(StockLot.quantity > 0, StockLot.expiry.is_not(None),
               StockLot.expiry <= today + timedelta(days=max(leads)))
        .group_by(StockLot.site_id)
        .subquery("per_site")
    )
    first = per_site.c.first_expiry
    on = cast(first, String)
    lots = cast(per_site.c.lots, String)
    desired = select(
        per_site.c.site_id.label("match_id"),
        literal(None, Integer).label("asset_id"),
        per_site.c.site_id.label("site_id"),
        literal("stock_expiring").label("kind"),
        _stage(first, today, leads).label("stage"),
        _severity(first, today, policy).label("severity"),
        case(
            (first <= today,
             literal("急救站有物资已过期(") + lots + " 批,最早 " + on + ") · stock expired ("
             + lots + " lots, earliest " + on + ")"),
            else_=literal("急救站有 ") + lots + " 批物资将到期(最早 " + on + ") · "
            + lots + " stock lots expiring (earliest " + on + ")",
        ).label("message"),
    )
    return sync_desired(session, desired, "site", ("stock_expiring",), now)


def run_expiry_scan(
    session: Session, now: datetime, tz: ZoneInfo, policy: AlertPolicy,
    asset_ids: list[int] | None = None,
) -> dict[str, int]:
    """The whole scan; returns counts per family for the job log."""
    today = now.astimezone(tz).date()
    result: dict[str, int] = {}
    for part in ("pad", "battery"):
        counts = scan_asset_expiry(session, part, today, now, policy, asset_ids)
        result.update({f"{part}_opened": counts.opened, f"{part}_staged": counts.staged,
                       f"{part}_resolved": counts.resolved})
    if asset_ids is None:
        counts = scan_stock_expiry(session, today, now, policy)
        result.update({"stock_opened": counts.opened, "stock_staged": counts.staged,
                       "stock_resolved": counts.resolved})
    return result


def run_expiry_scan_and_refresh(
    session: Session, now: datetime, settings: Settings, policy: AlertPolicy
) -> dict[str, int]:
    """The scheduled job: scan, then refresh readiness of the AEDs whose alerts moved."""
    summary = run_expiry_scan(session, now, settings.tz, policy)
    kinds = ("pad_expiring", "pad_expired", "battery_expiring", "battery_expired")
    moved = select(Alert.asset_id).where(
        Alert.kind.in_(kinds), or_(Alert.opened_at == now, Alert.resolved_at == now)
    )
    assets = session.scalars(select(Asset).where(Asset.id.in_(moved))).all()
    changed = refresh_statuses(session, assets, now, settings.readiness, settings.tz)
    summary["readiness_changed"] = len(changed)
    return summary
