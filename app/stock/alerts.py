"""The stock_low rule: a station with any item short against par (app/stock/shortage.py)
wants one `stock_low` alert, with `detail` = {"items": how many items are short}.

The rule reads the shortage rows it is given, so the hourly job (every station) and a
restock (one station) share one computation of the shortage with the restock tasks.
The stock expiry rule is its sibling in app/stock/expiry.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause, Select

from app.alerts.bulk_sync import JsonObject, SyncCounts, sync_desired
from app.alerts.catalogue import kind_of

KIND = "stock_low"


def desired_stock_low(short: FromClause) -> Select:
    """One row per short station, in the column order sync_desired reads."""
    per_site = (
        select(short.c.site_id, func.count().label("n_items"))
        .group_by(short.c.site_id)
        .subquery("per_site")
    )
    return select(
        per_site.c.site_id.label("match_id"),
        literal(None, Integer).label("asset_id"),
        per_site.c.site_id.label("site_id"),
        literal(KIND).label("kind"),
        literal(None, Integer).label("stage"),
        literal(kind_of(KIND).severity).label("severity"),
        literal("").label("message"),
        JsonObject(items=per_site.c.n_items).label("detail"),
    )


def sync_stock_low(session: Session, short: FromClause, now: datetime,
                   site_ids: list[int] | None = None) -> SyncCounts:
    return sync_desired(session, desired_stock_low(short), "site", (KIND,), now,
                        scope_ids=site_ids)
