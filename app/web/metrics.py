"""/metrics in Prometheus text format.

Ingest runs in other processes (possibly other hosts), so its numbers reach the web
through the `ingest_worker` rows it writes every few seconds; this endpoint renders
them per worker (label `worker` = MQTT client id) plus row counts of the stores that
admins watch. Counters restart from zero with a worker, which Prometheus handles.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.extensions import db_session
from app.ingest.report import recent_workers
from app.models import DeadLetter, QuarantinedMessage, utcnow
from app.web.blueprint import bp

COUNTERS = {
    "received": "Messages received from the broker",
    "stored": "Messages stored (new facts)",
    "duplicates": "Messages already stored (redelivery), acknowledged and not stored again",
    "superseded": "Gateway state messages older than the state on record",
    "dead_lettered": "Messages rejected into the dead-letter store",
    "quarantined": "Messages from unregistered gateways or devices, quarantined",
    "ts_suspect": "Messages whose device time was too far in the future",
    "acked": "PUBACKs sent after commit",
    "ack_skipped": "Committed messages of an earlier connection left for redelivery",
    "db_errors": "Database errors waited out (batch held unacknowledged)",
    "store_failures": "Messages that failed alone and were dead-lettered as store_failed",
    "reconnects": "Reconnections to the broker",
    "backpressure_waits": "Times the network thread waited for room in the queue",
    "receiver_restarts": "MQTT receiver processes that died and were replaced",
    "gateway_acks": "End-to-end acks published to gateways (their stored seq ranges)",
}
HISTOGRAMS = {
    "batch_size": "Messages per committed batch",
    "batch_seconds": "Seconds to apply and commit one batch",
    "ingest_delay_seconds": "Seconds from receipt at ingest to commit",
}


class IngestCollector(Collector):
    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now

    def collect(self) -> Iterator[Metric]:
        workers = recent_workers(self.session, self.now)
        for name, doc in COUNTERS.items():
            family = CounterMetricFamily(f"aed_ingest_{name}", doc, labels=["worker"])
            for w in workers:
                family.add_metric([w.row.client_id], float(w.row.counters.get(name, 0)))
            yield family
        reasons = CounterMetricFamily(
            "aed_ingest_dead_lettered_by_reason", "Dead letters by reason",
            labels=["worker", "reason"])
        for w in workers:
            for key, value in w.row.counters.items():
                if key.startswith("dead_reason:"):
                    reasons.add_metric([w.row.client_id, key.split(":", 1)[1]], float(value))
        yield reasons
        for name, doc in HISTOGRAMS.items():
            hist = HistogramMetricFamily(f"aed_ingest_{name}", doc, labels=["worker"])
            for w in workers:
                data: dict[str, Any] | None = w.row.histograms.get(name)
                if data:
                    hist.add_metric([w.row.client_id], _buckets(data), float(data["sum"]))
            yield hist
        gauges = (
            ("queue_depth", "Messages received and not yet committed",
             lambda w: w.row.queue_depth),
            ("connected", "1 when the worker is subscribed at the broker",
             lambda w: 1.0 if w.row.connected else 0.0),
            ("heartbeat_age_seconds", "Seconds since the worker's last heartbeat",
             lambda w: w.age_s),
        )
        for name, doc, value in gauges:
            gauge = GaugeMetricFamily(f"aed_ingest_{name}", doc, labels=["worker"])
            for w in workers:
                gauge.add_metric([w.row.client_id], float(value(w)))
            yield gauge
        yield GaugeMetricFamily(
            "aed_ingest_workers_up", "Workers with a fresh heartbeat, connected",
            value=float(sum(1 for w in workers if w.fresh and w.row.connected)))
        for model, name, doc in (
            (DeadLetter, "aed_dead_letters", "Rows in the dead-letter store"),
            (QuarantinedMessage, "aed_quarantined_messages", "Rows in quarantine"),
        ):
            count = self.session.scalar(select(func.count()).select_from(model)) or 0
            yield GaugeMetricFamily(name, doc, value=float(count))


def _buckets(data: dict[str, Any]) -> list[tuple[str, float]]:
    """Per-bucket counts (as stored) to Prometheus' cumulative buckets ending in +Inf."""
    out: list[tuple[str, float]] = []
    running = 0
    bounds = list(data["bounds"])
    for i, n in enumerate(data["counts"]):
        running += int(n)
        label = repr(float(bounds[i])) if i < len(bounds) else "+Inf"
        out.append((label, float(running)))
    return out


@bp.get("/metrics")
def metrics() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(IngestCollector(db_session(), utcnow()))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
