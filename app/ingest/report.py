"""Read side of the ingest heartbeat rows, for /healthz and /metrics in the web process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import IngestWorker

# A worker silent this long is stale (it writes every 5 s by default).
STALE_AFTER = timedelta(seconds=30)
# Workers gone for longer than this no longer show up at all.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class WorkerView:
    row: IngestWorker
    age_s: float
    fresh: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "client_id": self.row.client_id, "hostname": self.row.hostname,
            "pid": self.row.pid, "heartbeat_at": self.row.heartbeat_at.isoformat(),
            "heartbeat_age_s": round(self.age_s, 1), "fresh": self.fresh,
            "connected": self.row.connected, "queue_depth": self.row.queue_depth,
            "stored": int(self.row.counters.get("stored", 0)),
            "dead_lettered": int(self.row.counters.get("dead_lettered", 0)),
        }


def recent_workers(session: Session, now: datetime) -> list[WorkerView]:
    rows = session.scalars(
        select(IngestWorker)
        .where(IngestWorker.heartbeat_at >= now - FORGET_AFTER)
        .order_by(IngestWorker.client_id)
    ).all()
    views = []
    for row in rows:
        age = max(0.0, (now - row.heartbeat_at).total_seconds())
        views.append(WorkerView(row, age, age <= STALE_AFTER.total_seconds()))
    return views


def ingest_health(session: Session, now: datetime) -> dict[str, Any]:
    """`ok` when some worker is fresh and connected to the broker."""
    workers = recent_workers(session, now)
    if not workers:
        status = "absent"
    elif any(w.fresh and w.row.connected for w in workers):
        status = "ok"
    elif any(w.fresh for w in workers):
        status = "disconnected"
    else:
        status = "stale"
    return {"status": status, "workers": [w.as_dict() for w in workers]}
