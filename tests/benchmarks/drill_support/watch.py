"""What the drill observes: alerts as they appear in the database, and the raw MQTT hop.

``AlertWatch`` polls the alert table every 20 ms from its own thread and notes, per
alert, the wall time it was first seen open (committed: another connection reads it)
and first seen resolved. Polling the database, as a coordinator's page would, is the
honest end point: an alert that is not committed does not exist for anyone.

``RawProbe`` is a bare paho subscriber on the same broker: the time from a gateway's
publish to its arrival there is the baseline, the cost of the broker hop alone.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from app.db import Database
from app.models import Alert

POLL_S = 0.02


@dataclass
class SeenAlert:
    id: int
    kind: str
    severity: str
    subject_type: str
    subject_id: str
    asset_id: int | None
    gateway_id: str | None
    site_id: int | None
    opened_at: datetime
    seen_open: float
    detail: dict[str, Any] | None
    status: str = "open"
    resolution: str | None = None
    seen_resolved: float | None = None

    @property
    def subject(self) -> tuple[str, str]:
        return (self.subject_type, self.subject_id)


class AlertWatch:
    def __init__(self, url: str) -> None:
        self.db = Database(url)
        with self.db.session() as session:
            self.base_id = int(session.scalar(select(func.max(Alert.id))) or 0)
        self.seen: dict[int, SeenAlert] = {}
        self.lock = threading.Lock()
        self.polls = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="alert-watch", daemon=True)

    def start(self) -> AlertWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.db.dispose()

    def _run(self) -> None:
        columns = (Alert.id, Alert.kind, Alert.severity, Alert.subject_type, Alert.subject_id,
                   Alert.asset_id, Alert.gateway_id, Alert.site_id, Alert.opened_at,
                   Alert.detail, Alert.status, Alert.resolution)
        while not self._stop.is_set():
            try:
                with self.db.session() as session:
                    rows = session.execute(select(*columns).where(Alert.id > self.base_id)
                                           .order_by(Alert.id)).all()
            except Exception:  # a locked or restarting database: try again next poll
                self.errors += 1
                rows = []
            now = time.time()
            with self.lock:
                for (aid, kind, severity, stype, sid, asset_id, gw_id, site_id, opened_at,
                     detail, status, resolution) in rows:
                    seen = self.seen.get(aid)
                    if seen is None:
                        seen = self.seen[aid] = SeenAlert(
                            aid, kind, severity, stype, sid, asset_id, gw_id, site_id,
                            opened_at, now, detail)
                    if status == "resolved" and seen.seen_resolved is None:
                        seen.seen_resolved = now
                    seen.status, seen.resolution = status, resolution
                self.polls += 1
            self._stop.wait(POLL_S)

    def snapshot(self) -> list[SeenAlert]:
        with self.lock:
            return sorted(self.seen.values(), key=lambda a: a.id)

    def max_id(self) -> int:
        with self.lock:
            return max(self.seen, default=self.base_id)


class RawProbe:
    """Arrival times at a bare subscriber, by (topic, msg_id) and, for state messages,
    (topic, state)."""

    def __init__(self, host: str, port: int, root: str) -> None:
        self.arrived: dict[tuple[str, str], float] = {}
        #: The last payload of each state message kind per topic (the will's own ts
        #: against its birth's, for the report).
        self.states: dict[tuple[str, str], dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="aed-drill-probe",
                                  clean_session=True)
        self.client.on_connect = lambda c, *_a: c.subscribe(
            [(f"{root}/gw/+/dev/+/+", 1), (f"{root}/gw/+/state", 1)])
        self.client.on_subscribe = lambda *_a: self.ready.set()
        self.client.on_message = self._on_message
        self.host, self.port = host, port

    def _on_message(self, _c: mqtt.Client, _u: Any, msg: mqtt.MQTTMessage) -> None:
        now = time.time()
        try:  # never raise into paho's network thread
            body = json.loads(msg.payload)
            key = str(body.get("msg_id") or body.get("state"))
        except ValueError:
            return
        with self.lock:
            self.arrived.setdefault((msg.topic, key), now)
            if msg.topic.endswith("/state"):
                # The latest arrival of each state, for the will (a retained copy comes
                # first at subscribe time).
                self.arrived[(msg.topic, f"{key}@last")] = now
                self.states[(msg.topic, key)] = body

    def start(self, timeout: float = 10.0) -> RawProbe:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        if not self.ready.wait(timeout):
            raise RuntimeError("raw MQTT probe did not subscribe")
        return self

    def state(self, topic: str, state: str) -> dict[str, Any] | None:
        with self.lock:
            return self.states.get((topic, state))

    def arrival(self, topic: str, key: str) -> float | None:
        with self.lock:
            return self.arrived.get((topic, key))

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
