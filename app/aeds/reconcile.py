"""Reconciliation: converge every AED's stored status and alerts to its facts.

Every writer evaluates what it touched, and the deadline job (app/aeds/deadlines.py)
evaluates, within seconds, every AED whose answer may have changed since (its stored
``reevaluate_at``); this full pass is the safety net under both: the scheduler runs it
every ten minutes and whenever it takes the lead, so a missed write, a restored or
seeded database or a changed rule still ends right. It reads facts in chunks of 2,000
AEDs (plain rows), evaluates them in batches of 20,000 and writes only what differs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.aeds.facts import all_facts
from app.aeds.refresh import AedContext, Refreshed, apply_evaluations
from app.feeds.changes import record_changes
from app.gateways.liveness import refresh_gateways
from app.heap import cycle_collection_paused

#: AEDs evaluated, then written, together. PostgreSQL joins the rows of a write to the
#: asset table by hashing the whole table (an index lookup per row looks dearer to its
#: planner): one write per 2,000 AEDs hashed the table 50 times in a pass over 100,000.
APPLY_BATCH = 20_000


def reconcile(session: Session, now: datetime, ctx: AedContext) -> dict[str, int]:
    session.flush()
    gateways = refresh_gateways(session, None, now, ctx, with_aeds=False)
    total = Refreshed()
    batch = []
    with cycle_collection_paused():
        for row in all_facts(session):
            batch.append(row)
            if len(batch) >= APPLY_BATCH:
                _add(total, apply_evaluations(session, batch, now, ctx))
                batch = []
        if batch:
            _add(total, apply_evaluations(session, batch, now, ctx))
    # Writers follow their own changes (refresh.follow_changes); a status this pass
    # finds moved reaches the public feed here, and the coverage through its own job,
    # which recomputes the whole model every few minutes (app/coverage/jobs.py): after
    # a restore that can be every AED, too many for one neighbourhood at a time.
    record_changes(session, [aid for aid, _old, _new in total.moved], now, ctx.tz)
    return {
        "aeds": total.evaluated, "status_moved": len(total.moved),
        "opened": len(total.alerts.opened) + len(gateways.alerts.opened),
        "resolved": len(total.alerts.resolved) + len(gateways.alerts.resolved),
        "updated": len(total.alerts.updated) + len(gateways.alerts.updated),
        "gateways": gateways.evaluated,
    }


def _add(total: Refreshed, part: Refreshed) -> None:
    total.evaluated += part.evaluated
    total.moved += part.moved
    total.alerts += part.alerts
