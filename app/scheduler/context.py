"""What every job gets: the database, settings, alert policy and who is running it."""

from __future__ import annotations

from dataclasses import dataclass

from app.alerts.policy import AlertPolicy
from app.config import Settings
from app.db import Database


@dataclass(frozen=True)
class JobContext:
    db: Database
    settings: Settings
    policy: AlertPolicy
    runner: str
