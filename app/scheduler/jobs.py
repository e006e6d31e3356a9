"""The scheduler's jobs, defined in code under explicit ids.

Each interval job runs inside one transaction together with its period claim (see
watermark.py), so its database side effects happen once per period however many
processes try. The deadline job is the exception: it converges state to facts
(idempotent), and runs whenever the next deadline falls due. Work
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
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.aeds.deadlines import run_deadlines
from app.aeds.maintenance import end_expired_maintenance
from app.aeds.reconcile import reconcile
from app.alerts.digest import enqueue_digests
from app.alerts.escalation import run_escalation
from app.alerts.policy import AlertPolicy
from app.config import ConfigError
from app.coverage.jobs import run_coverage
from app.gateways.desired_config import ConfigPublisher, push_pending
from app.models import JobRun, PendingConfigPush, utcnow
from app.notify.dispatch import dispatch_pending
from app.notify.outbox import enqueue_alert_notifications
from app.scheduler.context import JobContext
from app.scheduler.periods import EPOCH, daily_period, interval_period
from app.scheduler.watermark import claim_period
from app.sql_rows import affected
from app.stock.jobs import run_restock, run_stock_expiry
from app.training.jobs import run_training

log = logging.getLogger("aed.scheduler.jobs")

JOB_RUN_KEEP_DAYS = 7
JobFn = Callable[[JobContext, Session, datetime], dict[str, Any]]


#: A job's summary may say when it wants to run next (an ISO time): the runner
#: brings its next run forward to then.
NEXT_DUE = "next_due"


@dataclass(frozen=True)
class JobDef:
    id: str
    fn: JobFn
    daily: bool = False
    # Runs after the commit (outside the period's transaction), e.g. sending messages.
    after: Callable[[JobContext, datetime], dict[str, Any]] | None = None
    # Interval jobs run once per period however many processes try; a job that only
    # converges state to facts may run whenever it is due (it is idempotent).
    claims_period: bool = True

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


def enabled_jobs(policy: AlertPolicy) -> list[JobDef]:
    """The jobs to run: all of them, or those named in ALERTS_JOBS."""
    if policy.enabled_jobs is None:
        return list(JOBS.values())
    unknown = sorted(set(policy.enabled_jobs) - set(JOBS))
    if unknown:
        raise ConfigError("ALERTS_JOBS", f"unknown jobs {unknown}; known: {', '.join(JOBS)}")
    return [JOBS[j] for j in policy.enabled_jobs]


def run_job(ctx: JobContext, job: JobDef, now: datetime | None = None,
            force: bool = False) -> JobRun | None:
    """Run one period of `job` unless it already ran (``force``: run it again anyway);
    returns the run record or None."""
    started = now or utcnow()
    # A job that claims no period runs whenever it is due: its run is its own "period".
    period = job.period_of(ctx, started) if job.claims_period else started.isoformat()
    with ctx.db.session() as session:
        claimed = claim_period(session, job.id, period, started) if job.claims_period else True
        if not (claimed or force):
            return None
        summary = job.fn(ctx, session, started)
        run = JobRun(job_id=job.id, period=period, runner=ctx.runner, started_at=started,
                     finished_at=utcnow(), summary=summary or None)
        # A frequent job that found nothing to do leaves no row: history is what happened.
        if job.claims_period or _did_something(summary):
            session.add(run)
    if job.after is not None:
        extra = job.after(ctx, now or utcnow())
        if extra:
            log.info("%s after-commit: %s", job.id, extra)
    log.log(logging.INFO if _did_something(summary) else logging.DEBUG,
            "job %s period %s done: %s", job.id, period, summary)
    return run


def _did_something(summary: dict[str, Any]) -> bool:
    return any(v for k, v in summary.items() if k != NEXT_DUE and isinstance(v, int | float))


def _reconcile(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    return reconcile(session, now, ctx.aeds)


def _deadlines(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    run = run_deadlines(session, now, ctx.aeds)
    return {"gateways": run.gateways, "aeds": run.aeds, "opened": run.opened,
            NEXT_DUE: run.next_due.isoformat() if run.next_due else None}


def _restock(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    """Every station: shortage against par, restock tasks, and expiring lots."""
    tz = ctx.settings.tz
    return {**run_restock(session, now, tz, ctx.policy),
            **run_stock_expiry(session, now, tz, ctx.policy)}


def _escalation(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    return run_escalation(session, now, ctx.policy)


def _notify(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    return enqueue_alert_notifications(session, now, ctx.settings, ctx.policy)


def _dispatch(ctx: JobContext, now: datetime) -> dict[str, Any]:
    return dispatch_pending(ctx.db, now, ctx.settings, ctx.policy)


def _maintenance(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    summary = end_expired_maintenance(session, now, ctx.aeds)
    # Run history is for operations, not an archive: a week is plenty.
    summary["job_runs_pruned"] = affected(session.execute(
        delete(JobRun).where(JobRun.started_at < now - timedelta(days=JOB_RUN_KEEP_DAYS))))
    return summary


def _config_push_pending(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    return {"pending": session.scalar(select(func.count()).select_from(PendingConfigPush))}


def _config_push(ctx: JobContext, now: datetime) -> dict[str, Any]:
    """Desired gateway configs that could not be published (broker down) go out here."""
    publisher = ConfigPublisher(ctx.settings.mqtt_url, ctx.settings.mqtt_topic_root)
    results = push_pending(ctx.db, publisher)
    return {"pushed": sum(r.published for r in results),
            "failed": sum(not r.published for r in results)}


def _training(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    """Certificate reminders and station cover (app/training/jobs.py)."""
    return run_training(session, now, ctx.settings)


def _coverage(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    """The typical week's coverage and each AED's criticality (app/coverage/jobs.py)."""
    return run_coverage(session, now, ctx.settings.tz)


def _digest(ctx: JobContext, session: Session, now: datetime) -> dict[str, Any]:
    return enqueue_digests(session, now, ctx.settings, JOBS["digest"].period_of(ctx, now))


JOBS: dict[str, JobDef] = {
    job.id: job
    for job in (
        JobDef("reconcile", _reconcile),
        JobDef("deadlines", _deadlines, claims_period=False),
        JobDef("restock", _restock),
        JobDef("escalation", _escalation),
        JobDef("notify", _notify, after=_dispatch),
        JobDef("maintenance", _maintenance),
        JobDef("config_push", _config_push_pending, after=_config_push),
        JobDef("digest", _digest, daily=True, after=_dispatch),
        JobDef("training", _training),
        JobDef("coverage", _coverage),
    )
}
