"""`flask --app app ingest` as a real child process, for tests that kill or restart it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
from sqlalchemy.orm import Session

from app.models import IngestWorker
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

REPO = Path(__file__).resolve().parents[2]


class IngestProcess:
    def __init__(self, database_url: str, broker: MosquittoBroker, workdir: Path,
                 client_id: str = "ingest-proc", *extra: str) -> None:
        self.argv = [sys.executable, "-m", "flask", "--app", "app", "ingest",
                     "--client-id", client_id, "--heartbeat-s", "0.5", "--summary-s", "2",
                     *extra]
        self.env = {**os.environ, "DATABASE_URL": database_url, "MQTT_URL": broker.url,
                    "SECRET_KEY": "test-secret-key-0123456789", "DATA_DIR": str(workdir),
                    "LOG_LEVEL": "INFO"}
        self.log_path = workdir / "ingest.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.client_id = client_id

    def start(self) -> IngestProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=REPO, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT)
        return self

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def signal_all(self, sig: int) -> None:
        """The worker and its MQTT receiver process alike (SIGSTOP / SIGCONT)."""
        assert self.proc is not None
        top = psutil.Process(self.proc.pid)
        for member in [top, *top.children(recursive=True)]:
            try:
                member.send_signal(sig)
            except psutil.NoSuchProcess:
                continue

    def terminate(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return int(self.proc.returncode)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def subscribed(db: Session, client_id: str) -> bool:
    db.expire_all()
    row = db.get(IngestWorker, client_id)
    return bool(row and row.connected)


def wait_subscribed(db: Session, ingest: IngestProcess) -> None:
    # Generous: a cold `flask --app app` start on a loaded 2-core box can take long.
    wait_for(lambda: subscribed(db, ingest.client_id), 120,
             message=lambda: f"ingest to subscribe; log:\n{ingest.log()[-2000:]}")
