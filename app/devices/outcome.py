"""What became of the messages of one batch: exactly one outcome each, plus side counts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BatchOutcome:
    stored: int = 0
    # Its `(gateway, msg_id)` is already stored (or comes twice in the batch).
    duplicates: int = 0
    # A gateway state older than the one on record.
    superseded: int = 0
    # Breaks protocol v1; kept with the reason.
    dead_lettered: int = 0
    # Well-formed, but the gateway or device is not registered.
    quarantined: int = 0
    # Not outcomes: stored messages whose device clock ran ahead, AEDs re-evaluated.
    ts_suspect: int = 0
    assets_refreshed: int = 0
    # What the evaluation did: alerts opened and resolved, and how many of the opened
    # are urgent (the ingest wakes the notifier after committing them).
    alerts_opened: int = 0
    alerts_resolved: int = 0
    urgent_opened: int = 0
    dead_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return (self.stored + self.duplicates + self.superseded + self.dead_lettered
                + self.quarantined)

    def count_dead(self, rows: list[dict[str, object]]) -> None:
        self.dead_lettered += len(rows)
        for row in rows:
            reason = str(row["reason"])
            self.dead_reasons[reason] = self.dead_reasons.get(reason, 0) + 1
