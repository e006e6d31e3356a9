"""The scheduler's jobs, defined in code under explicit ids.

Each job runs inside one transaction together with its period claim (see watermark.py),
so its database side effects happen once per period however many processes try. Work
that leaves the database (sending notifications) runs after the commit, from the
notification outbox, which has its own once-only bookkeeping.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.models import JobRun, utcnow
from app.scheduler.context import JobContext
from app.scheduler.periods import EPOCH, daily_period, interval_period
from app.scheduler.watermark import claim_period
from app.sql_rows import affected

log = logging.getLogger("aed.scheduler.jobs")

JOB_RUN_KEEP_DAYS = 7
JobFn = Callable[[JobContext, Session, datetime], dict[str, Any]]


@dataclass(frozen=True)
class JobDef:
    id: str
    fn: JobFn
    daily: bool = False
    # Runs after the commit (outside the period's transaction), e.g. sending messages.
    after: Callable[[JobContext, datetime], dict[str, Any]] | None = None

    def period_of(self, ctx: JobContext, now: datetime) -> str:
        if self.daily and not ctx.policy.job_interval_s:
            return daily_period(now, ctx.policy.digest_hour, ctx.settings.tz)
        return interval_period(now, ctx.policy.interval_of(self.id))

    def trigger(self, ctx: JobContext) -> BaseTrigger:
        if self.daily and not ctx.policy.job_interval_s:
            return CronTrigger(hour=ctx.policy.digest_hour, timezone=ctx.settings.tz)
        return IntervalTrigger(seconds=ctx.policy.interval_of(self.id), start_date=EPOCH)

    def grace_s(self, ctx: JobContext) -> int:
        """A run late by less than one period still counts; later ones coalesce."""
        if self.daily and not ctx.policy.job_interval_s:
            return 6 * 3600
        return max(1, int(ctx.policy.interval_of(self.id)))


def run_job(ctx: JobContext, job: JobDef, now: datetime | None = None) -> JobRun | None:
    """Run one period of `job` unless it already ran; returns the run record or None."""
    started = now or utcnow()
    period = job.period_of(ctx, started)
    with ctx.db.session() as session:
        if not claim_period(session, job.id, period, started):
            return None
        summary = job.fn(ctx, session, started)
        run = JobRun(job_id=job.id, period=period, runner=ctx.runner, started_at=started,
                     finished_at=utcnow(), summary=summary or None)
        session.add(run)
    if job.after is not None:
        extra = job.after(ctx, now or utcnow())
        if extra:
            log.info("%s after-commit: %s", job.id, extra)
    log.info("job %s period %s done: %s", job.id, period, summary)
    return run


def _expiry_scan(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    from app.aeds.expiry_scan import run_expiry_scan_and_refresh

    return run_expiry_scan_and_refresh(session, now, ctx.settings, ctx.policy)


def _restock(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    from app.stock.shortage import run_restock

    return run_restock(session, now, ctx.settings.tz, ctx.policy)


def _liveness(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    from app.gateways.liveness import run_liveness

    return run_liveness(session, now, ctx.settings)


def _door_watch(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    from app.aeds.door_watch import run_door_watch

    return run_door_watch(session, now, ctx.policy)


def _inspections(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    from app.aeds.inspections_due import run_inspections_due

    return run_inspections_due(session, now, ctx.settings.readiness)


def _escalation(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    from app.alerts.escalation import run_escalation

    return run_escalation(session, now, ctx.policy)


def _notify(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    from app.notify.outbox import enqueue_alert_notifications

    return enqueue_alert_notifications(session, now, ctx.settings, ctx.policy)


def _dispatch(ctx: JobContext, now: datetime) -> dict[str, Any]:
    from app.notify.dispatch import dispatch_pending

    return dispatch_pending(ctx.db, now, ctx.settings, ctx.policy)


def _maintenance(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    from app.aeds.maintenance import end_expired_maintenance

    summary = end_expired_maintenance(session, now)
    # Run history is for operations, not an archive: a week is plenty.
    summary["job_runs_pruned"] = affected(session.execute(
        delete(JobRun).where(JobRun.started_at < now - timedelta(days=JOB_RUN_KEEP_DAYS))))
    return summary


def _config_push_pending(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    from sqlalchemy import func, select

    from app.models import PendingConfigPush

    return {"pending": session.scalar(select(func.count()).select_from(PendingConfigPush))}


def _config_push(ctx: JobContext, now: datetime) -> dict[str, Any]:
    """Desired gateway configs that could not be published (broker down) go out here."""
    from app.gateways.desired_config import ConfigPublisher, push_pending

    publisher = ConfigPublisher(ctx.settings.mqtt_url, ctx.settings.mqtt_topic_root)
    results = push_pending(ctx.db, publisher)
    return {"pushed": sum(r.published for r in results),
            "failed": sum(not r.published for r in results)}


def _digest(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    from app.alerts.digest import enqueue_digests

    return enqueue_digests(session, now, ctx.settings, JOBS["digest"].period_of(ctx, now))


JOBS: dict[str, JobDef] = {
    job.id: job
    for job in (
        JobDef("expiry_scan", _expiry_scan),
        JobDef("restock", _restock),
        JobDef("liveness", _liveness),
        JobDef("door_watch", _door_watch),
        JobDef("inspections_due", _inspections),
        JobDef("escalation", _escalation),
        JobDef("notify", _notify, after=_dispatch),
        JobDef("maintenance", _maintenance),
        JobDef("config_push", _config_push_pending, after=_config_push),
        JobDef("digest", _digest, daily=True, after=_dispatch),
    )
}
