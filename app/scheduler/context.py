"""What every job gets: the database, settings, alert policy and who is running it."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import Settings
from app.db import Database
from app.services.alert_policy import AlertPolicy


@dataclass(frozen=True)
class JobContext:
    db: Database
    settings: Settings
    policy: AlertPolicy
    runner: str
