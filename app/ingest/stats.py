"""Counters and histograms of one ingest process, cheap enough for every message.

Each counter has one writing thread (the network thread counts `received`, the writer
counts the rest), so plain integers under the GIL are enough. Snapshots go into the
`ingest_worker` row, from which the web process renders /metrics.
"""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import Any

from app.devices import BatchOutcome

COUNTERS = (
    "received", "stored", "duplicates", "superseded", "dead_lettered", "quarantined",
    "ts_suspect", "acked", "ack_skipped", "batches", "db_errors", "store_failures",
    "backpressure_waits", "reconnects", "receiver_restarts", "gateway_acks",
)
BATCH_SIZE_BOUNDS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000)
SECONDS_BOUNDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Histogram:
    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    sum: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        # One bucket per bound plus +Inf; counts are per bucket, not cumulative.
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.sum += value
        self.count += 1

    def quantile(self, q: float) -> float | None:
        """Upper bound of the bucket holding the q-quantile (None when empty)."""
        if not self.count:
            return None
        rank, seen = q * self.count, 0
        for i, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                return self.bounds[i] if i < len(self.bounds) else float("inf")
        return float("inf")

    def snapshot(self) -> dict[str, Any]:
        return {"bounds": list(self.bounds), "counts": list(self.counts), "sum": self.sum,
                "count": self.count}


class IngestStats:
    def __init__(self) -> None:
        self.counts: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self.dead_reasons: dict[str, int] = {}
        self.batch_size = Histogram(BATCH_SIZE_BOUNDS)
        self.batch_seconds = Histogram(SECONDS_BOUNDS)
        # Receipt at this process to commit: what a message waits in ingest.
        self.ingest_delay_seconds = Histogram(SECONDS_BOUNDS)
        self.queue_depth = 0
        self.connected = False
        self.started_monotonic = time.monotonic()

    def incr(self, name: str, n: int = 1) -> None:
        self.counts[name] += n

    def record_batch(self, outcome: BatchOutcome, size: int, seconds: float) -> None:
        c = self.counts
        c["stored"] += outcome.stored
        c["duplicates"] += outcome.duplicates
        c["superseded"] += outcome.superseded
        c["dead_lettered"] += outcome.dead_lettered
        c["quarantined"] += outcome.quarantined
        c["ts_suspect"] += outcome.ts_suspect
        c["batches"] += 1
        for reason, n in outcome.dead_reasons.items():
            self.dead_reasons[reason] = self.dead_reasons.get(reason, 0) + n
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def snapshot(self) -> dict[str, Any]:
        return {
            "counters": {**self.counts, **{f"dead_reason:{k}": v
                                           for k, v in self.dead_reasons.items()}},
            "histograms": {
                "batch_size": self.batch_size.snapshot(),
                "batch_seconds": self.batch_seconds.snapshot(),
                "ingest_delay_seconds": self.ingest_delay_seconds.snapshot(),
            },
        }

    def summary_line(self, previous: dict[str, int], elapsed_s: float) -> str:
        c = self.counts
        rate = (c["stored"] - previous.get("stored", 0)) / elapsed_s if elapsed_s > 0 else 0.0
        p99 = self.batch_seconds.quantile(0.99)
        return (
            f"ingest: connected={'yes' if self.connected else 'NO'} queue={self.queue_depth} "
            f"received={c['received']} stored={c['stored']} ({rate:.0f}/s) "
            f"duplicates={c['duplicates']} dead_lettered={c['dead_lettered']} "
            f"quarantined={c['quarantined']} acked={c['acked']} batches={c['batches']} "
            f"batch_p99<={p99 if p99 is not None else '-'}s db_errors={c['db_errors']}"
        )
