"""The scheduler process: elect a leader, and only on the leader run the jobs.

APScheduler 3 (BackgroundScheduler, MemoryJobStore: jobs live in code, nothing is
pickled) fires the jobs; this loop renews leadership every third of the lease. On
becoming leader every job is added with an immediate first run: that is the catch-up
after downtime, and the watermark turns it into a no-op when the current period was
already done. Missed slots are never replayed one by one (coalesce).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from app.models import utcnow
from app.scheduler.context import JobContext
from app.scheduler.jobs import NEXT_DUE, JobDef, enabled_jobs, run_job
from app.scheduler.leader import Leader, make_leader

log = logging.getLogger("aed.scheduler")
#: A deadline is looked at this long after it falls due.
DEADLINE_SLACK_S = 1.0


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SchedulerProcess:
    def __init__(self, ctx: JobContext, leader: Leader | None = None) -> None:
        self.ctx = ctx
        self.leader = leader or make_leader(ctx.db, ctx.runner, ctx.policy.leader,
                                            ctx.policy.lease_s)
        self.jobs: list[JobDef] = enabled_jobs(ctx.policy)
        self.leading = False
        self.stop_event = threading.Event()
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone="UTC",
        )

    def _run(self, job: JobDef) -> None:
        if not self.leading:
            return
        try:
            run = run_job(self.ctx, job)
        except Exception:
            log.exception("job %s failed; it runs again next period", job.id)
            return
        due = (run.summary or {}).get(NEXT_DUE) if run is not None else None
        if due:
            self._bring_forward(job, datetime.fromisoformat(due))

    def _bring_forward(self, job: JobDef, due: datetime) -> None:
        """Run the job again at its next deadline (plus a moment), if that comes before
        its next regular run."""
        wanted = due + timedelta(seconds=DEADLINE_SLACK_S)
        scheduled = self.scheduler.get_job(job.id)
        if scheduled is None or (scheduled.next_run_time is not None
                                 and scheduled.next_run_time <= wanted):
            return
        scheduled.modify(next_run_time=max(wanted, utcnow()))

    def _lead(self, now: datetime) -> None:
        log.info("%s is now the scheduler leader", self.ctx.runner)
        self.leading = True
        for job in self.jobs:
            self.scheduler.add_job(
                self._run, trigger=job.trigger(self.ctx), args=[job], id=job.id, name=job.id,
                next_run_time=now, misfire_grace_time=job.grace_s(self.ctx),
                replace_existing=True,
            )

    def _follow(self) -> None:
        log.warning("%s is no longer the scheduler leader", self.ctx.runner)
        self.leading = False
        self.scheduler.remove_all_jobs()

    def tick(self) -> None:
        leader = self.leader.acquire_or_renew()
        if leader and not self.leading:
            self._lead(utcnow())
        elif not leader and self.leading:
            self._follow()

    def serve(self) -> None:
        self.scheduler.start()
        log.info("scheduler %s started (%s election, lease %.0fs, jobs: %s)",
                 self.ctx.runner, type(self.leader).__name__, self.ctx.policy.lease_s,
                 ", ".join(j.id for j in self.jobs))
        try:
            while not self.stop_event.is_set():
                self.tick()
                self.stop_event.wait(max(0.2, self.ctx.policy.lease_s / 3))
        finally:
            self.leading = False
            self.scheduler.shutdown(wait=True)
            self.leader.release()
            log.info("scheduler %s stopped", self.ctx.runner)

    def stop(self) -> None:
        self.stop_event.set()
