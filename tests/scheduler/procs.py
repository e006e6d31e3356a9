"""Start real `flask --app app scheduler` processes for the multi-process tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import JobRun

ROOT = Path(__file__).resolve().parents[2]


class SchedulerProcs:
    def __init__(self, database_url: str, log_dir: Path, period_s: float, lease_s: float,
                 jobs: str | None = None) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DATA_DIR": str(log_dir / "data"),
            "SECRET_KEY": "test-secret-key-0123456789",
            "ALERTS_JOB_INTERVAL_S": str(period_s),
            "ALERTS_LEASE_S": str(lease_s),
            "ALERTS_CHANNELS_FILE": "",
            "LOG_LEVEL": "INFO",
        }
        if jobs:
            self.env["ALERTS_JOBS"] = jobs
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.files: list[IO[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        log = (self.log_dir / f"scheduler-{n}.log").open("wb")
        self.files.append(log)
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "scheduler"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def by_pid(self, pid: int) -> subprocess.Popen[bytes]:
        return next(p for p in self.procs if p.pid == pid)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for f in self.files:
            f.close()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
            for p in sorted(self.log_dir.glob("scheduler-*.log"))
        )


@contextmanager
def scheduler_procs(database_url: str, log_dir: Path, period_s: float, lease_s: float,
                    jobs: str | None = None) -> Iterator[SchedulerProcs]:
    procs = SchedulerProcs(database_url, log_dir, period_s, lease_s, jobs)
    try:
        yield procs
    finally:
        procs.stop_all()


def runs(session: Session) -> list[JobRun]:
    session.expire_all()
    return list(session.scalars(select(JobRun).order_by(JobRun.id)))


def runner_pid(run: JobRun) -> int:
    return int(run.runner.rsplit(":", 1)[1])
