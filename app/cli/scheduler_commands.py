"""`flask --app app scheduler` (the scheduler process) and `flask --app app jobs ...`."""

from __future__ import annotations

import json
import signal
from datetime import datetime
from types import FrameType

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import IntegrityError

from app.config import ConfigError
from app.extensions import get_alert_policy, get_db, get_settings
from app.models import utcnow
from app.notify.config_file import sync_channels_file
from app.scheduler.context import JobContext
from app.scheduler.jobs import JOBS, run_job
from app.scheduler.runner import SchedulerProcess, runner_name


def _context() -> JobContext:
    return JobContext(db=get_db(), settings=get_settings(), policy=get_alert_policy(),
                      runner=runner_name())


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the scheduler; with several copies exactly one (the leader) runs jobs."""
    ctx = _context()
    try:
        process = SchedulerProcess(ctx)
    except ConfigError as exc:
        click.echo(f"configuration error: {exc}", err=True)
        raise SystemExit(2) from None
    if ctx.policy.channels_file is not None and ctx.policy.channels_file.exists():
        try:
            with ctx.db.session() as session:
                count = sync_channels_file(session, ctx.policy.channels_file)
            click.echo(f"notification channels from {ctx.policy.channels_file}: {count}")
        except IntegrityError:
            # Another scheduler process synced the same file at the same moment.
            click.echo("notification channels: synced by another process")

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        process.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    process.serve()


@click.group("jobs")
def jobs() -> None:
    """Inspect and run scheduler jobs by hand."""


@jobs.command("list")
def list_jobs() -> None:
    for job_id in JOBS:
        click.echo(job_id)


@jobs.command("run-once")
@click.argument("name", type=click.Choice(sorted(JOBS)))
@click.option("--now", "now_text", help="Pretend it is this time (ISO 8601 with zone).")
@click.option("--force", is_flag=True, help="Run it even if this period already ran.")
@with_appcontext
def run_once(name: str, now_text: str | None, force: bool) -> None:
    """Run one job for the current period (does nothing if that period already ran)."""
    now = datetime.fromisoformat(now_text) if now_text else utcnow()
    if now.tzinfo is None:
        raise click.BadParameter("give a time zone, e.g. 2026-11-29T08:00:00+08:00")
    run = run_job(_context(), JOBS[name], now, force=force)
    if run is None:
        click.echo(f"{name}: this period already ran")
    else:
        click.echo(json.dumps({"job": name, "period": run.period, "summary": run.summary},
                              ensure_ascii=False))
