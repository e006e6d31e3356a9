"""What every job gets: the database, settings, alert policy and who is running it."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.config import Settings
from app.db import Database


@dataclass(frozen=True)
class JobContext:
    db: Database
    settings: Settings
    policy: AlertPolicy
    runner: str
    aeds: AedContext = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "aeds", AedContext.of(self.settings, self.policy))
