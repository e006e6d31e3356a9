"""Period keys: which slot a run belongs to (sortable UTC ISO time of the slot start)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def interval_period(now: datetime, seconds: float) -> str:
    """Slots aligned to the epoch, so every process agrees on the slot boundaries."""
    elapsed = (now - EPOCH).total_seconds()
    slot = int(elapsed // seconds) * seconds
    return _iso(EPOCH + timedelta(seconds=slot))


def daily_period(now: datetime, hour: int, tz: ZoneInfo) -> str:
    """The latest local `hour`:00 at or before now."""
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), time(hour), tz)
    if slot > local:
        slot -= timedelta(days=1)
    return _iso(slot)
