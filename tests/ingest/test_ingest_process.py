"""`flask --app app ingest` as a real process: kill -9 it, or restart the database."""

from __future__ import annotations

import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Telemetry
from tests.ingest.factory import register, telemetry
from tests.ingest.processes import IngestProcess, wait_subscribed
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def stored_ids(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Telemetry.msg_id)))


class BackgroundPublisher:
    """Publishes telemetry seq first..first+n-1 at QoS 1 and records what the broker
    acknowledged."""

    def __init__(self, broker: MosquittoBroker, n: int, first: int = 1,
                 client_id: str = "test-bg-pub") -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.max_inflight_messages_set(50)
        self.client.on_publish = self._on_publish
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        self.n = n
        self.first = first
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
        for seq in range(self.first, self.first + self.n):
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


# A broker killed mid-stream loses what it PUBACKed but had not saved (the shipped config
# saves every 5 minutes): tests/delivery/ shows the agent's outbox and the server's ack
# cover that, counting what every publisher was told against what was stored.


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
        before = BackgroundPublisher(broker, n // 2).start()
        wait_for(lambda: len(stored_ids(db)) > 100, 60, message="ingest to store some")
        before.wait_all_accepted()
        db.close()
        server.stop("fast")
        try:
            # Readings arrive during the outage, so ingest must meet it (a fast ingest
            # has stored all of the first half by now).
            during = BackgroundPublisher(broker, n // 2, first=n // 2 + 1,
                                         client_id="test-bg-pub-outage").start()
            wait_for(lambda: "database unavailable" in ingest.log(), 30,
                     message="ingest to notice the outage")
            during.wait_all_accepted()
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
