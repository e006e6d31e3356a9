"""Whether a gateway can be heard, once: its `offline` will (after a short grace that
absorbs reconnect flaps), a clean stop, or silence past its liveness window.

Pure; the AED evaluation and the gateway alerts both read it, so an AED behind a dead
gateway turns `unknown` in the same transaction as the gateway's alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DOWN_STATES = ("offline", "stopped")


@dataclass(frozen=True, slots=True)
class GatewayPresence:
    down: bool
    cause: str | None  # "will", "stopped" or "silent" when down
    #: When it will count as down if nothing arrives (None: already down, or never).
    due: datetime | None


def gateway_presence(state: str | None, state_received_at: datetime | None,
                     last_seen_at: datetime | None, created_at: datetime | None,
                     window: timedelta, offline_grace: timedelta,
                     now: datetime) -> GatewayPresence:
    if state in DOWN_STATES:
        counts_from = (state_received_at or now) + offline_grace
        if now >= counts_from or state_received_at is None:
            return GatewayPresence(True, "will" if state == "offline" else "stopped", None)
        pending: datetime | None = counts_from
    else:
        pending = None
    seen = last_seen_at or created_at
    if seen is None or now - seen > window:
        return GatewayPresence(True, "silent", None)
    silent_at = seen + window
    due = silent_at if pending is None else min(pending, silent_at)
    return GatewayPresence(False, None, due)
