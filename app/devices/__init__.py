"""Messages from gateways -> stored facts, device state, readiness and alerts.

The modules, in the order a batch goes through them:

- decode: bytes -> accepted messages or dead-letter rows (no database)
- registry: the registered gateways and devices a batch names; who is a stray
- store: message rows (each `(gateway, msg_id)` once), dead letters, quarantine
- gateway_state: state messages and heartbeats -> the gateway row
- sightings: `last_seen_at` of gateways and devices
- fold: per-field `(session, seq)` marks -> the newest device state
- derive: every call into the AED and alert services
- batch: `apply_batch`, which runs them in one transaction

Ingest (app/ingest) uses only what this package exports.
"""

from app.devices.batch import FactsConfig, apply_batch
from app.devices.decode import PreparedBatch, RawMessage, dead_letter_row, prepare_batch
from app.devices.outcome import BatchOutcome
from app.devices.store import store_dead_letters

__all__ = [
    "BatchOutcome",
    "FactsConfig",
    "PreparedBatch",
    "RawMessage",
    "apply_batch",
    "dead_letter_row",
    "prepare_batch",
    "store_dead_letters",
]
