"""Maintenance mode: a volunteer at the cabinet mutes door alerts for a while."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.models import Asset

MAX_MAINTENANCE_MINUTES = 8 * 60


def start_maintenance(asset: Asset, minutes: int, now: datetime) -> datetime:
    if not 1 <= minutes <= MAX_MAINTENANCE_MINUTES:
        raise ValueError(f"maintenance lasts 1 to {MAX_MAINTENANCE_MINUTES} minutes")
    asset.maintenance_until = now + timedelta(minutes=minutes)
    return asset.maintenance_until


def end_maintenance(asset: Asset) -> None:
    asset.maintenance_until = None
