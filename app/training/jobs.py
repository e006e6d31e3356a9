"""What the scheduler runs for the training programme: the hourly ``training`` job
re-checks every certificate (a day passing moves one into a reminder stage or past its
expiry) and every site's cover, so the alerts end right whatever a writer missed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.config import Settings
from app.training.policy import training_policy
from app.training.refresh import TrainingContext, check_training


def run_training(session: Session, now: datetime, settings: Settings) -> dict[str, int]:
    ctx = TrainingContext(training_policy(settings), settings.tz)
    return check_training(session, now, ctx)
