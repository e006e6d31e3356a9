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

from sqlalchemy import ColumnElement, Subquery, case, func, select
from sqlalchemy.orm import Session

from app.alerts.apply import Applied, Wanted, apply_to_sites
from app.alerts.policy import AlertPolicy
from app.alerts.stages import EXPIRED, expiry_stage, expiry_stage_sql, stage_severity
from app.models import StockLot

KINDS = ("stock_expired", "stock_expiring")


def _per_site(today: date, policy: AlertPolicy, site_ids: list[int] | None) -> Subquery:
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
    return query.subquery("stock_expiry_per_site")


def sync_stock_expiry(session: Session, today: date, now: datetime, policy: AlertPolicy,
                      site_ids: list[int] | None = None) -> Applied:
    """Make the stock expiry alerts of `site_ids` (None: every station) match the lots."""
    c = _per_site(today, policy, site_ids).c
    wanted: dict[int, list[Wanted]] = {}
    for site_id, expired, expired_on, expiring, expiring_on in session.execute(
        select(c.site_id, c.expired_lots, c.expired_earliest, c.expiring_lots,
               c.expiring_earliest)
    ):
        wants = wanted.setdefault(site_id, [])
        if expired:
            wants.append(Wanted("stock_expired", stage=EXPIRED, detail={
                "lots": int(expired), "earliest": expired_on.isoformat()}))
        if expiring:
            wants.append(Wanted(
                "stock_expiring", stage_severity(expiring_on, today, policy.critical_within_days),
                expiry_stage(expiring_on, today, policy.stock_lead_days),
                {"lots": int(expiring), "earliest": expiring_on.isoformat()}))
    return apply_to_sites(session, wanted, frozenset(KINDS), now, site_ids)
