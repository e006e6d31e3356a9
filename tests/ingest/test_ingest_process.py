"""`flask --app app ingest` as a real process: kill -9 it, the broker, or the database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import IngestWorker, Telemetry
from tests.ingest.factory import register, telemetry
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
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


def stored_ids(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Telemetry.msg_id)))


def subscribed(db: Session, client_id: str) -> bool:
    db.expire_all()
    row = db.get(IngestWorker, client_id)
    return bool(row and row.connected)


def wait_subscribed(db: Session, ingest: IngestProcess) -> None:
    wait_for(lambda: subscribed(db, ingest.client_id), 30,
             message=lambda: f"ingest to subscribe; log:\n{ingest.log()[-2000:]}")


class BackgroundPublisher:
    """Publishes telemetry seq 1..n at QoS 1 and records what the broker acknowledged."""

    def __init__(self, broker: MosquittoBroker, n: int) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-bg-pub")
        self.client.max_inflight_messages_set(50)
        self.client.on_publish = self._on_publish
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.n = n
        # No lock shared with paho's callback (paho calls it holding its own mutex, which
        # publish() needs): mids are unique for n < 65535, so map them afterwards.
        self._msg_ids: dict[int, str] = {}
        self._acked_mids: list[int] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _on_publish(self, _c: object, _u: object, mid: int, _rc: object, _p: object) -> None:
        self._acked_mids.append(mid)

    @property
    def accepted(self) -> set[str]:
        ids = dict(self._msg_ids)
        return {ids[mid] for mid in list(self._acked_mids) if mid in ids}

    def _run(self) -> None:
        for seq in range(1, self.n + 1):
            topic, payload = telemetry(seq=seq, temp_c=20.0)
            self._msg_ids[self.client.publish(topic, payload, qos=1).mid] = f"1-{seq}"

    def start(self) -> BackgroundPublisher:
        self.thread.start()
        return self

    def close(self) -> None:
        self.thread.join(30)
        self.client.disconnect()
        self.client.loop_stop()

    def wait_all_accepted(self, timeout: float = 120) -> None:
        wait_for(lambda: len(self.accepted) == self.n, timeout,
                 message=lambda: f"broker to accept all, {len(self.accepted)}/{self.n}")
        self.close()


def test_kill_9_ingest_mid_stream_then_restart_stores_everything_once(
    db: Session, database_url: str, broker: MosquittoBroker, tmp_path: Path
) -> None:
    register(db)
    ingest = IngestProcess(database_url, broker, tmp_path).start()
    try:
        wait_subscribed(db, ingest)
        n = 1500
        pub = BackgroundPublisher(broker, n).start()
        wait_for(lambda: len(stored_ids(db)) > 200, 60, message="ingest to store some")
        ingest.kill()
        assert len(stored_ids(db)) < n, "killed too late to prove anything"
        pub.wait_all_accepted()
        ingest.start()
        wait_for(lambda: len(stored_ids(db)) >= n, 90,
                 message=lambda: f"all stored, have {len(stored_ids(db))}")
        ids = stored_ids(db)
        assert sorted(ids) == sorted(f"1-{seq}" for seq in range(1, n + 1))
        assert ingest.terminate() == 0
    finally:
        if ingest.alive:
            ingest.kill()


def test_kill_9_broker_loses_nothing_it_accepted(
    db: Session, database_url: str, broker: MosquittoBroker, tmp_path: Path
) -> None:
    register(db)
    # Small batches make the drain slow enough to kill the broker in the middle of it.
    ingest = IngestProcess(database_url, broker, tmp_path, "ingest-proc", "--batch-size",
                           "5").start()
    try:
        wait_subscribed(db, ingest)
        # A backlog waits at the broker for ingest's persistent session...
        assert ingest.terminate() == 0
        n = 600
        BackgroundPublisher(broker, n).start().wait_all_accepted()
        # ...and the broker dies while ingest is draining it, with messages in flight.
        ingest.start()
        wait_for(lambda: len(stored_ids(db)) > 20, 60, message="ingest to store some")
        broker.kill()
        assert len(stored_ids(db)) < n, "killed too late to prove anything"
        broker.start()
        wait_for(lambda: len(stored_ids(db)) >= n, 90,
                 message=lambda: f"all stored, have {len(stored_ids(db))}")
        assert sorted(stored_ids(db)) == sorted(f"1-{seq}" for seq in range(1, n + 1))
        assert ingest.alive
        assert ingest.terminate() == 0
    finally:
        if ingest.alive:
            ingest.kill()


@pytest.mark.pg_only
def test_database_restart_is_waited_out(
    db: Session, backend: str, database_url: str, broker: MosquittoBroker, tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    server = request.getfixturevalue("pg_server")
    if server.cluster_dir is None:
        pytest.skip("the PostgreSQL server is not one the tests started (cannot restart it)")
    register(db)
    db.close()
    ingest = IngestProcess(database_url, broker, tmp_path).start()
    try:
        wait_subscribed(db, ingest)
        db.close()
        n = 1200
        pub = BackgroundPublisher(broker, n).start()
        wait_for(lambda: len(stored_ids(db)) > 100, 60, message="ingest to store some")
        db.close()
        server.stop("fast")
        try:
            wait_for(lambda: "database unavailable" in ingest.log(), 30,
                     message="ingest to notice the outage")
            pub.wait_all_accepted()
        finally:
            server.start()
        assert ingest.alive, f"ingest died during the outage:\n{ingest.log()[-3000:]}"
        wait_for(lambda: len(stored_ids(db)) >= n, 90,
                 message=lambda: f"all stored, have {len(stored_ids(db))}")
        assert sorted(stored_ids(db)) == sorted(f"1-{seq}" for seq in range(1, n + 1))
        assert ingest.terminate() == 0
    finally:
        if ingest.alive:
            ingest.kill()
