"""The stock_low rule: a station with any item short against par (app/stock/shortage.py)
wants one `stock_low` alert, with `detail` = {"items": how many items are short}.

The rule reads the shortage rows it is given, so the hourly job (every station) and a
restock (one station) share one computation of the shortage with the restock tasks.
The stock expiry rule is its sibling in app/stock/expiry.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import FromClause

from app.alerts.apply import Applied, Wanted, apply_to_sites

KIND = "stock_low"


def sync_stock_low(session: Session, short: FromClause, now: datetime,
                   site_ids: list[int] | None = None) -> Applied:
    """One `stock_low` per station with short items (rows of the shortage aggregate)."""
    rows = session.execute(select(short.c.site_id, func.count()).group_by(short.c.site_id))
    wanted = {site_id: [Wanted(KIND, detail={"items": int(n)})] for site_id, n in rows}
    return apply_to_sites(session, wanted, frozenset({KIND}), now, site_ids)
