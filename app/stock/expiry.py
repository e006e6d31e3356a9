"""Stock expiry per station, staged by lead time, in SQL (all stations or a few).

Only lots still in the kit count (quantity > 0) and only dated ones. A station wants:
- `stock_expired` (stage 0, critical) while some lot has expired: a lot expiring today
  may not be used today (app/alerts/stages.py);
- `stock_expiring` while some other lot expires within the longest stock lead time,
  staged by the soonest of them (90 → 30 → 7 by default; critical within
  `critical_within_days`), so each closer stage is notified once.
Both can be open at once: the expired lot must come out now, the expiring one must be
replaced soon. Taking the lots out (a restock) drops the station out of the desired set,
and the sync resolves the alert. Alerts carry `detail` = {"lots": lots concerned,
"earliest": ISO date} and no sentence: texts are rendered from kind and detail.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from app.alerts.bulk_sync import JsonObject, SyncCounts, sync_desired
from app.alerts.catalogue import kind_of
from app.alerts.policy import AlertPolicy
from app.alerts.stages import EXPIRED, expiry_stage_sql, stage_severity_sql
from app.models import StockLot

KINDS = ("stock_expired", "stock_expiring")


def _per_site(today: date, policy: AlertPolicy, site_ids: list[int] | None) -> CTE:
    """Per station: how many lots have expired / expire within the longest lead time,
    and the earliest of each, in one pass over the lots."""
    expiry = cast(ColumnElement[date], StockLot.expiry)
    stage = expiry_stage_sql(expiry, today, policy.stock_lead_days)
    expired = stage == EXPIRED
    expiring = stage > EXPIRED
    # The date range repeats "within the longest lead time" so the expiry index is used.
    horizon = today + timedelta(days=max(policy.stock_lead_days))
    query = (
        select(StockLot.site_id.label("site_id"),
               func.count(case((expired, 1))).label("expired_lots"),
               func.min(case((expired, expiry))).label("expired_earliest"),
               func.count(case((expiring, 1))).label("expiring_lots"),
               func.min(case((expiring, expiry))).label("expiring_earliest"))
        .where(StockLot.quantity > 0, StockLot.expiry.is_not(None), StockLot.expiry <= horizon)
        .group_by(StockLot.site_id)
    )
    if site_ids is not None:
        query = query.where(StockLot.site_id.in_(site_ids))
    # Read twice below (one row per kind): computed once.
    return query.cte("stock_expiry_per_site").prefix_with("MATERIALIZED")


def _rows(per_site: CTE, kind: str, lots: ColumnElement[int], earliest: ColumnElement[date],
          stage: ColumnElement[int], severity: ColumnElement[str]) -> Select:
    return select(
        per_site.c.site_id.label("match_id"),
        literal(None, Integer).label("asset_id"),
        per_site.c.site_id.label("site_id"),
        literal(kind).label("kind"),
        stage.label("stage"),
        severity.label("severity"),
        literal("").label("message"),
        JsonObject(lots=lots, earliest=earliest).label("detail"),
    ).where(lots > 0)


def desired_stock_expiry(today: date, policy: AlertPolicy,
                         site_ids: list[int] | None = None) -> CompoundSelect:
    """The stock expiry alerts that should be open, one row per (station, kind), in the
    column order app.alerts.bulk_sync.sync_desired reads."""
    per_site = _per_site(today, policy, site_ids)
    c = per_site.c
    return union_all(
        _rows(per_site, "stock_expired", c.expired_lots, c.expired_earliest,
              literal(EXPIRED, Integer), literal(kind_of("stock_expired").severity)),
        _rows(per_site, "stock_expiring", c.expiring_lots, c.expiring_earliest,
              expiry_stage_sql(c.expiring_earliest, today, policy.stock_lead_days),
              stage_severity_sql(c.expiring_earliest, today, policy.critical_within_days)),
    )


def sync_stock_expiry(session: Session, today: date, now: datetime, policy: AlertPolicy,
                      site_ids: list[int] | None = None) -> SyncCounts:
    """Make the stock expiry alerts of `site_ids` (None: every station) match the lots."""
    return sync_desired(session, desired_stock_expiry(today, policy, site_ids), "site",
                        KINDS, now, scope_ids=site_ids)
