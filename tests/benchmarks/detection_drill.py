"""Detection drill: every fault raises the right alert once, within its deadline.

    python -m tests.benchmarks.detection_drill [--quick] [--backend sqlite|postgresql]

The real stack, as a new user would run it: Mosquitto (tests/support/mosquitto.py,
open), a database (SQLite, or a throwaway PostgreSQL), the Yangpu demo loaded with
`flask --app app seed-demo`, `flask --app app ingest`, `flask --app app scheduler`, a
real SMTP server (aiosmtpd) that a notification channel and route send every alert to,
and `python -m device_agent.simulate` for the healthy fleet: the demo's gateways
(as `make run` simulates them) plus N more, reporting every I seconds.

Faults are injected on AEDs that were `ready`, each on its own gateway, over MQTT
where the fault is a device fact: the drill drives those gateways itself with the
protocol models (drill_support/gateway.py: birth and will, session/seq envelopes, the
agent's event rule). Per fault it prints the expected alert kind, the seconds from the
injection to the open alert in the database (polled every 20 ms by another
connection), the seconds to the notification at the SMTP server, whether exactly one
alert told the story (none on top of it later, none a reconciliation at the end would
still open), and the deadline (shared/design.md, "Readiness of an AED"):

| fault | injected by | deadline |
|---|---|---|
| cabinet opened, AED removed, self-test failed, temperature, device-reported expiry | MQTT | 5 s (urgent notification: 5 s) |
| door held open | MQTT (door limit ALERTS_DOOR_OPEN_LIMIT_MIN) | limit + 5 s |
| gateway killed, retained `offline` will | SIGKILL of a simulator process | 5 s |
| device silent behind a live gateway, gateway silent (no will) | reports stopped | 3 × I + 10 s after the last report |
| fault present before ingest starts (failed self-test, 58 °C) | device state in the DB | 5 s after its first report |
| inspection overdue, time passed (check date and next-look moment set back) | DB | the deadlines job's longest sleep (5 s) + 1 s |
| stock below par, lot expiring within its lead time: restock operation | app.stock.restock | its own transaction (5 s) |
| inspection overdue / stock changed behind the app's back (DB only) | DB | the hourly job; shown, not timed |
| control: a paho gateway whose will carries its birth's ts, socket closed | socket close | diagnostic only |

It counts false alerts: any alert on the healthy fleet, on a drill AED before its fault,
or on anything the drill did not touch after the baseline (the demo's own seeded faults
alert before it). It says which process raised each alert (a scheduler job, whose run's
`now` is the alert's opened_at, or a writer), and ends with a rolled-back
reconciliation of everything (gateways, AEDs, stations): an alert it would still open is
one the live path missed, or, for the DB-only changes, the proof that the hourly job
covers them (`flask jobs run-once NAME --force`, as an operator would run them now).

The last line is the design's JSON. value = the worst latency / deadline over every
timed fault and every urgent notification (≤ 1 meets every deadline). baseline = the
raw MQTT hop (publish → a bare subscriber on the same broker, median over the fault
messages of this run) over the same deadline, so ratio = value / baseline = the worst
fault's latency in broker hops. `--quick` (< 1 minute): I = 5 s, door limit 15 s, 20
healthy gateways, one of each fault; the full run: I = 20 s, door limit 30 s, 50
healthy gateways, three of each MQTT fault, and a minute's watch after the last
deadline for alerts that come late or twice.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import migrate
from app.aeds.facts import all_facts
from app.aeds.refresh import AedContext, apply_evaluations
from app.alerts.policy import AlertPolicy, load_alert_policy
from app.audit import Actor
from app.config import Settings, load_settings
from app.db import Database
from app.embedded_broker import demo_gateways
from app.gateways.liveness import refresh_gateways
from app.models import (
    Alert,
    Asset,
    Device,
    Gateway,
    IngestWorker,
    JobRun,
    NotificationLog,
    Site,
    StockLot,
    SupplyItem,
)
from app.scheduler.periods import EPOCH
from app.stock.jobs import run_restock, run_stock_expiry
from app.stock.restock import Delivery, restock_station
from device_agent.protocol import DEFAULT_ROOT, state_topic
from tests.benchmarks.drill_support.faults import (
    URGENT_NOTIFY_S,
    Fault,
    NotificationRow,
    Subject,
    Verdict,
    describe,
    judge,
)
from tests.benchmarks.drill_support.fleet import (
    FleetRows,
    GatewaySpec,
    add_gateways,
    add_stations,
    sync_channels,
    write_channels,
)
from tests.benchmarks.drill_support.gateway import HEALTHY, DrillGateway
from tests.benchmarks.drill_support.mail import TimedMailBox, smtp_server
from tests.benchmarks.drill_support.procs import ProcSet, flask, guard_binary, run_cli
from tests.benchmarks.drill_support.watch import AlertWatch, RawProbe, SeenAlert
from tests.support.mosquitto import MosquittoBroker
from tests.support.postgres import postgres_server
from tests.support.wait import wait_for

ROOT = DEFAULT_ROOT
DEVICE = "cab-1"
#: The deadlines job sleeps at most its period (config/alerts.toml), then looks 1 s late.
DEADLINES_PERIOD_S = 5.0  # config/alerts.toml [scheduler.intervals] deadlines
DEADLINE_SLACK_S = 1.0
HOURLY_S = 3600.0
RECONCILE_S = 600.0
#: The demo's gateway that stays silent on purpose (app/embedded_broker.py).
SILENT_DEMO_GATEWAY = "gw-yp-006"


@dataclass(frozen=True)
class Plan:
    quick: bool
    backend: str
    interval_s: int
    door_limit_min: float
    sim_gateways: int
    repeats: int
    stagger_s: float
    #: Watched after the last deadline: a second alert or a late one shows up there.
    margin_s: float
    keep: bool

    @property
    def door_limit_s(self) -> float:
        return self.door_limit_min * 60

    @property
    def silence_deadline_s(self) -> float:
        return 3 * self.interval_s + 10


@dataclass
class Instant:
    """An MQTT fault: new readings of one device."""

    name: str
    what: str
    expected: str
    readings: dict[str, Any]
    urgent: bool = False
    chapters: tuple[str, ...] = ()
    door_limit: bool = False


@dataclass
class Stage:
    """Everything the drill started, for the report and for cleaning up."""

    work: Path
    procs: ProcSet
    gateways: dict[str, DrillGateway] = field(default_factory=dict)
    timers: list[threading.Timer] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.phases[name] = time.time()


def log(message: str) -> None:
    print(f"[drill {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def until(predicate: Callable[[], Any], timeout: float, what: str | Callable[[], str],
          interval: float = 0.05) -> Any:
    return wait_for(predicate, timeout, interval, what)


# -- the fleet ---------------------------------------------------------------------------

def instant_faults(today: date, limit_min: float) -> list[Instant]:
    yesterday = today - timedelta(days=1)
    return [
        Instant("cabinet_opened", "cabinet opened (door_opened event, door=open, AED "
                "present), closed again before the door limit", "cabinet_opened",
                {"door": "open"}, urgent=True),
        Instant("aed_removed", "AED removed (door_opened + aed_removed events, door=open, "
                "aed_present=false), door left open past the limit", "aed_in_use",
                {"door": "open", "aed_present": False}, urgent=True),
        Instant("door_held_open", f"door held open past the limit ({limit_min:g} min), "
                "AED present", "door_open_too_long", {"door": "open"},
                chapters=("cabinet_opened",), door_limit=True),
        Instant("self_test_failed", "self-test failed (self_test_failed event, "
                "self_test=fail)", "self_test_failed", {"self_test": "fail"}),
        Instant("temperature", "temperature out of range (temp_c 58 °C)",
                "temperature_out_of_range", {"temp_c": 58.0}),
        Instant("pad_expired", f"device-reported pad expiry {yesterday} (yesterday)",
                "pad_expired", {"pad_expiry": yesterday}),
        Instant("pad_expiring", f"device-reported pad expiry {today + timedelta(days=29)} "
                "(29 days, within the 30-day lead)", "pad_expiring",
                {"pad_expiry": today + timedelta(days=29)}),
        Instant("battery_expired", f"device-reported battery expiry {yesterday}",
                "battery_expired", {"battery_expiry": yesterday}),
    ]


@dataclass
class Layout:
    """Gateway ids of every role, and the subjects that must stay quiet."""

    instant: dict[str, list[str]]  # fault name -> gateway per repeat
    will: list[str]
    silent_device: list[str]
    silent_gateway: list[str]
    inspect_due: str = "drill-inspect"
    inspect_behind: str = "drill-inspect-db"
    pre_selftest: str = "drill-pre-selftest"
    pre_temp: str = "drill-pre-temp"
    will_control: str = "drill-willctl-1"
    healthy_sim: list[str] = field(default_factory=list)

    def drill_specs(self) -> list[GatewaySpec]:
        specs = [GatewaySpec(gw, (DEVICE,), gw.removeprefix("drill-"))
                 for gws in self.instant.values() for gw in gws]
        specs += [GatewaySpec(gw, (DEVICE, "cab-2"), gw.removeprefix("drill-"))
                  for gw in self.silent_device]
        specs += [GatewaySpec(gw, (DEVICE,), gw.removeprefix("drill-"))
                  for gw in [*self.silent_gateway, self.inspect_due, self.inspect_behind,
                             self.will_control]]
        specs.append(GatewaySpec(self.pre_selftest, (DEVICE,), "pre-selftest",
                                 {DEVICE: {**HEALTHY, "self_test": "fail"}}))
        specs.append(GatewaySpec(self.pre_temp, (DEVICE,), "pre-temp",
                                 {DEVICE: {**HEALTHY, "temp_c": 58.0}}))
        return specs


def make_layout(plan: Plan, faults: list[Instant]) -> Layout:
    reps = range(1, plan.repeats + 1)
    return Layout(
        instant={f.name: [f"drill-{f.name.replace('_', '')}-{r}" for r in reps] for f in faults},
        will=[f"drill-will-{r}" for r in reps],
        silent_device=[f"drill-silentdev-{r}" for r in reps],
        silent_gateway=[f"drill-silentgw-{r}" for r in reps],
        healthy_sim=[f"sim-gw-{n:04d}" for n in range(1, plan.sim_gateways + 1)],
    )


STATIONS = ("low-op", "expiring-op", "low-db", "expiring-db")


def build_fleet(db: Database, layout: Layout, plan: Plan, now: datetime, today: date,
                channels: Path) -> FleetRows:
    rows = FleetRows()
    with db.session() as session:
        add_gateways(session, layout.drill_specs(), plan.interval_s, now, today, rows)
        add_gateways(session, [GatewaySpec(gw, ("aed-01",), gw.removeprefix("drill-"))
                               for gw in layout.will], plan.interval_s, now, today, rows)
        add_gateways(session, [GatewaySpec(gw, ("aed-01",), gw) for gw in layout.healthy_sim],
                     plan.interval_s, now, today, rows)
        add_stations(session, list(STATIONS), now, today, rows)
        sync_channels(session, channels)
    return rows


# -- the stack ---------------------------------------------------------------------------

def child_env(url: str, broker: MosquittoBroker, work: Path, plan: Plan,
              channels: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ALERTS_", "READINESS_")) and k not in ("DATABASE_URL",
                                                                           "MQTT_URL")}
    env.update({
        "DATABASE_URL": url, "MQTT_URL": broker.url, "DATA_DIR": str(work / "data"),
        "SECRET_KEY": "drill-secret-key-0123456789abcdef", "LOG_LEVEL": "INFO",
        "ALERTS_DOOR_OPEN_LIMIT_MIN": f"{plan.door_limit_min:g}",
        "ALERTS_CHANNELS_FILE": str(channels), "PYTHONUNBUFFERED": "1",
    })
    return env


def ingest_subscribed(db: Database, client_id: str) -> bool:
    with db.session() as session:
        row = session.get(IngestWorker, client_id)
        return bool(row and row.connected)


def unheard_devices(db: Database) -> list[str]:
    with db.session() as session:
        return [f"{gw}/{dev}" for gw, dev in session.execute(
            select(Device.gateway_id, Device.device_id)
            .join(Gateway, Gateway.id == Device.gateway_id)
            .where(Device.last_seen_at.is_(None), Gateway.id != SILENT_DEMO_GATEWAY))]


def job_runs_since(db: Database, since: datetime) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(JobRun.job_id).where(JobRun.started_at >= since)))


def statuses(db: Database, asset_ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
    with db.session() as session:
        return {aid: (status, reasons) for aid, status, reasons in session.execute(
            select(Asset.id, Asset.status, Asset.status_reasons)
            .where(Asset.id.in_(list(asset_ids))))}


def gateway_states(db: Database, ids: Sequence[str]) -> dict[str, str]:
    with db.session() as session:
        return dict(session.execute(
            select(Gateway.id, Gateway.state).where(Gateway.id.in_(list(ids)))).all())


def max_alert_id(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.max(Alert.id))) or 0)


def next_slot(now: datetime, seconds: float) -> datetime:
    elapsed = (now - EPOCH).total_seconds()
    return EPOCH + timedelta(seconds=(int(elapsed // seconds) + 1) * seconds)


# -- the sweep at the end ----------------------------------------------------------------

@dataclass
class Sweep:
    opens: list[tuple[Subject, str]]
    resolves: list[tuple[Subject, str]]
    moved: list[tuple[int, str, str]]


def dry_sweep(db: Database, ctx: AedContext, settings: Settings, policy: AlertPolicy
              ) -> Sweep:
    """Reconcile every gateway and AED and run the stations' stock checks, as the
    scheduler's reconcile and restock jobs do, in one transaction that is rolled back:
    what it would change is what the live path has not (yet) done."""
    now = datetime.now(UTC)
    session: Session = db.session_factory()
    try:
        before = int(session.scalar(select(func.max(Alert.id))) or 0)
        refresh_gateways(session, None, now, ctx, with_aeds=False)
        refreshed = apply_evaluations(session, list(all_facts(session)), now, ctx)
        run_restock(session, now, settings.tz, policy)
        run_stock_expiry(session, now, settings.tz, policy)
        session.flush()
        opens = [((t, s), k) for t, s, k in session.execute(
            select(Alert.subject_type, Alert.subject_id, Alert.kind)
            .where(Alert.id > before).order_by(Alert.id))]
        resolves = [((t, s), k) for t, s, k in session.execute(
            select(Alert.subject_type, Alert.subject_id, Alert.kind)
            .where(Alert.id <= before, Alert.status == "resolved", Alert.resolved_at == now))]
        return Sweep(opens, resolves, list(refreshed.moved))
    finally:
        session.rollback()
        session.close()


# -- the drill ---------------------------------------------------------------------------

class Drill:
    def __init__(self, plan: Plan, stage: Stage, url: str) -> None:
        self.plan = plan
        self.stage = stage
        self.url = url
        self.db = Database(url)
        self.rng = random.Random(14)
        self.faults: list[Fault] = []
        self.cli: dict[str, dict[str, Any]] = {}
        self.env: dict[str, str] = {}

    # The subjects of a drill gateway: itself and the AEDs behind it.
    def scope(self, rows: FleetRows, gw: str, devices: Sequence[str]) -> frozenset[Subject]:
        return frozenset({("gateway", gw), *(("asset", str(rows.aed_of[(gw, d)]))
                                            for d in devices)})

    def run(self) -> dict[str, Any]:
        plan, stage = self.plan, self.stage
        work = stage.work
        with contextlib.ExitStack() as stack:
            smtp_port, mailbox = stack.enter_context(smtp_server())
            broker = MosquittoBroker(work / "broker")
            broker.binary = str(guard_binary(broker.binary, work))
            broker.start()
            stack.callback(broker.stop)
            stage.mark("broker")
            channels = write_channels(work / "notifications.toml", smtp_port)
            env = self.env = child_env(self.url, broker, work, plan, channels)
            settings = load_settings(env=env)
            policy = load_alert_policy(env=env)
            ctx = AedContext.of(settings, policy)
            tz: ZoneInfo = settings.tz
            migrate.upgrade(self.db.engine)
            seeded = run_cli(flask("seed-demo"), env)
            if seeded.returncode != 0:
                raise RuntimeError(f"seed-demo failed:\n{seeded.stdout}\n{seeded.stderr}")
            now = datetime.now(UTC)
            today = now.astimezone(tz).date()
            instants = instant_faults(today, plan.door_limit_min)
            layout = make_layout(plan, instants)
            rows = build_fleet(self.db, layout, plan, now, today, channels)
            stage.mark("fleet")
            log(f"fleet: {len(demo_gateways())} demo + {plan.sim_gateways} simulated "
                f"healthy gateways, {len(layout.drill_specs()) + len(layout.will)} drill "
                f"gateways, report interval {plan.interval_s} s")

            watch = AlertWatch(self.url).start()
            stack.callback(watch.stop)
            probe = RawProbe(broker.host, broker.port, ROOT).start()
            stack.callback(probe.stop)

            # Ingest first, alone: the faults already in the database must be found by
            # ingest on the device's first report, not by the scheduler's sweep.
            stack.callback(stage.procs.stop_all)
            stage.procs.start("ingest", flask("ingest", "--client-id", "drill-ingest",
                                              "--heartbeat-s", "1", "--summary-s", "10"), env)
            until(lambda: ingest_subscribed(self.db, "drill-ingest"), 60,
                  lambda: f"ingest to subscribe\n{stage.procs.tails()}")
            stage.mark("ingest")

            stack.callback(self._close_gateways)
            for spec in layout.drill_specs():
                # The faulty-at-start devices report at once; the others spread out.
                phase = 0.2 if spec.pre_state else self.rng.uniform(0.2, min(3.0,
                                                                            plan.interval_s))
                gw = DrillGateway(spec.gateway_id, {d: dict(HEALTHY) for d in spec.devices}
                                  | {d: dict(v) for d, v in spec.pre_state.items()},
                                  broker.host, broker.port, plan.interval_s, phase,
                                  same_will_ts=spec.gateway_id == layout.will_control)
                gw.connect()
                stage.gateways[spec.gateway_id] = gw
            until(lambda: all(g.connected.is_set() for g in stage.gateways.values()), 30,
                  lambda: "drill gateways to connect: " + ", ".join(
                      f"{g.gateway_id} {g.error}" for g in stage.gateways.values()
                      if not g.connected.is_set()))
            for gw in stage.gateways.values():
                gw.start_reporting()
            self._start_simulators(layout, broker, env)
            stage.mark("gateways")

            self._prefault(rows, layout, watch)
            until(lambda: not unheard_devices(self.db), 3 * plan.interval_s + 30,
                  lambda: f"every device to report: {unheard_devices(self.db)[:10]}")
            stage.mark("heard")

            scheduler_start = datetime.now(UTC)
            stage.procs.start("scheduler", flask("scheduler"), env)
            until(lambda: {"reconcile", "restock", "deadlines"} <= job_runs_since(
                self.db, scheduler_start), 60,
                lambda: f"the scheduler's first runs\n{stage.procs.tails()}")
            stage.mark("scheduler")

            targets = [aid for (gw, _d), aid in rows.aed_of.items()
                       if gw not in (layout.pre_selftest, layout.pre_temp)]
            fleet_gws = [*stage.gateways, *layout.will, *layout.healthy_sim]
            until(lambda: self._settled(targets, fleet_gws), 3 * plan.interval_s + 30,
                  lambda: f"the fleet to settle: {self._unsettled(targets, fleet_gws)}")
            baseline_id = max_alert_id(self.db)
            stage.mark("baseline")
            log(f"settled: {len(targets)} drill AEDs ready, baseline alert id {baseline_id}")

            self._inject(rows, layout, instants, ctx, settings, policy, tz)
            stage.mark("injected")
            self._wait_out(watch)
            stage.mark("watched")

            sweep = dry_sweep(self.db, ctx, settings, policy)
            stage.mark("swept")
            return self._report(rows, layout, watch, probe, mailbox, baseline_id, sweep)
        raise AssertionError("unreachable")  # pragma: no cover - ExitStack re-raises

    def _close_gateways(self) -> None:
        for timer in self.stage.timers:
            timer.cancel()
        for gw in self.stage.gateways.values():
            with contextlib.suppress(Exception):
                gw.close()

    def _start_simulators(self, layout: Layout, broker: MosquittoBroker,
                          env: dict[str, str]) -> None:
        plan, work = self.plan, self.stage.work
        healthy = {**demo_gateways(), **{gw: ["aed-01"] for gw in layout.healthy_sim}}
        sets = [("simulator-fleet", healthy)] + [
            (f"simulator-{gw}", {gw: ["aed-01"]}) for gw in layout.will]
        for name, gateways in sets:
            path = work / f"{name}.json"
            path.write_text(json.dumps(gateways))
            self.stage.procs.start(name, [
                sys.executable, "-m", "device_agent.simulate", "--broker", broker.url,
                "--gateway-ids", str(path), "--interval", str(plan.interval_s),
                "--heartbeat", str(plan.interval_s), "--state-dir", str(work / name),
                "--log-level", "WARNING", "--seed", "14"], env)

    # -- phase: a fault present before ingest started ---------------------------------

    def _prefault(self, rows: FleetRows, layout: Layout, watch: AlertWatch) -> None:
        for gw_id, kind, what in (
            (layout.pre_selftest, "self_test_failed",
             "fault present before ingest started: stored self_test=fail, no alert; the "
             "device reports the same"),
            (layout.pre_temp, "temperature_out_of_range",
             "fault present before ingest started: stored 58 °C, no alert; the device "
             "reports the same"),
        ):
            aid = rows.aed_of[(gw_id, DEVICE)]
            self.faults.append(Fault(
                f"pre_{kind}", what, kind, ("asset", str(aid)), self.scope(rows, gw_id, [DEVICE]),
                5.0, "≤ 5 s after its first report", "DB, then MQTT", before_baseline=True))
        gws = [self.stage.gateways[layout.pre_selftest], self.stage.gateways[layout.pre_temp]]
        until(lambda: all(g.heard_all() for g in gws), 30, "the faulty devices to report")
        for fault, gw in zip(self.faults[-2:], gws, strict=True):
            fault.t0 = gw.first_device[DEVICE]
        # Measured while nothing but ingest runs (the scheduler would find them too).
        wanted = {f.subject: f.expected for f in self.faults[-2:]}
        with contextlib.suppress(AssertionError):
            until(lambda: all(any(a.subject == s and a.kind == k for a in watch.snapshot())
                              for s, k in wanted.items()), 10, "the faults present at start")

    # -- settle --------------------------------------------------------------------------

    def _unsettled(self, aeds: Sequence[int], gws: Sequence[str]) -> dict[str, Any]:
        bad_aeds = {a: s for a, s in statuses(self.db, aeds).items() if s[0] != "ready"}
        bad_gws = {g: s for g, s in gateway_states(self.db, gws).items() if s != "online"}
        return {"aeds": dict(list(bad_aeds.items())[:8]), "gateways": dict(
            list(bad_gws.items())[:8])}

    def _settled(self, aeds: Sequence[int], gws: Sequence[str]) -> bool:
        bad = self._unsettled(aeds, gws)
        return not bad["aeds"] and not bad["gateways"]

    # -- phase: injection ----------------------------------------------------------------

    def _inject(self, rows: FleetRows, layout: Layout, instants: list[Instant],
                ctx: AedContext, settings: Settings, policy: AlertPolicy, tz: ZoneInfo) -> None:
        plan, stage = self.plan, self.stage
        silence = f"≤ 3×{plan.interval_s}+10 = {plan.silence_deadline_s:g} s after last report"
        # Silences first: they take longest.
        for gw_id in layout.silent_gateway:
            gw = stage.gateways[gw_id]
            self.faults.append(Fault(
                f"gateway_silent:{gw_id}", "gateway silent: stops reporting, connection "
                "kept open (no will)", "gateway_offline", ("gateway", gw_id),
                self.scope(rows, gw_id, [DEVICE]), plan.silence_deadline_s, silence,
                "reports stopped", t0=gw.go_silent()))
        for gw_id in layout.silent_device:
            gw = stage.gateways[gw_id]
            self.faults.append(Fault(
                f"device_silent:{gw_id}", "device silent behind a live gateway (cab-2 stops "
                "reporting; the gateway and cab-1 go on)", "device_silent",
                ("asset", str(rows.aed_of[(gw_id, "cab-2")])),
                self.scope(rows, gw_id, [DEVICE, "cab-2"]), plan.silence_deadline_s,
                silence, "reports stopped", t0=gw.silence_device("cab-2")))
        for gw_id in layout.will:
            proc = next(p for p in stage.procs.procs if p.name == f"simulator-{gw_id}")
            fault = Fault(
                f"will:{gw_id}", "gateway killed (SIGKILL of its simulator process): the "
                "broker publishes its retained offline will", "gateway_offline",
                ("gateway", gw_id), self.scope(rows, gw_id, ["aed-01"]), 5.0, "≤ 5 s",
                "SIGKILL", t0=time.time())
            proc.kill()
            self.faults.append(fault)
        # The control: a paho client whose will carries its birth's own ts, its socket
        # closed without DISCONNECT. Ingest applies a will only when its (session, ts)
        # is not older than the state it holds; this shows what happens when it is not.
        control = stage.gateways[layout.will_control]
        died = control.kill()
        self.faults.append(Fault(
            f"will_control:{layout.will_control}", "control: paho gateway whose will has "
            "the same ts as its birth, socket closed without DISCONNECT", "gateway_offline",
            ("gateway", layout.will_control), self.scope(rows, layout.will_control, [DEVICE]),
            5.0, "≤ 5 s (diagnostic)", "socket closed", diagnostic=True, t0=died))
        log(f"silences and kills injected; {len(instants) * plan.repeats} MQTT faults next, "
            f"{plan.stagger_s:g} s apart")
        for r in range(plan.repeats):
            for spec in instants:
                gw_id = layout.instant[spec.name][r]
                gw = stage.gateways[gw_id]
                sent = gw.change(DEVICE, **spec.readings)
                fault = Fault(
                    f"{spec.name}:{gw_id}", spec.what, spec.expected,
                    ("asset", str(rows.aed_of[(gw_id, DEVICE)])),
                    self.scope(rows, gw_id, [DEVICE]), 5.0,
                    f"≤ limit {plan.door_limit_s:g} s + 5 s" if spec.door_limit else "≤ 5 s",
                    "MQTT", urgent=spec.urgent, chapters=spec.chapters,
                    offset_s=plan.door_limit_s if spec.door_limit else 0.0,
                    # An opening must still be one alert after the limit has passed.
                    watch_s=plan.door_limit_s + 5.0 if spec.urgent else 0.0,
                    t0=sent.at, first_msg=sent)
                self.faults.append(fault)
                if spec.name == "cabinet_opened":
                    # Closed well before the limit: the alert must stay cabinet_opened.
                    timer = threading.Timer(plan.door_limit_s / 3, gw.change, args=(DEVICE,),
                                            kwargs={"door": "closed"})
                    timer.daemon = True
                    stage.timers.append(timer)
                    timer.start()
                time.sleep(plan.stagger_s)  # pacing of the injections, not a wait
        self._inject_db(rows, layout, settings, policy, tz)

    def _inject_db(self, rows: FleetRows, layout: Layout, settings: Settings,
                   policy: AlertPolicy, tz: ZoneInfo) -> None:
        plan = self.plan
        interval_days = settings.readiness.inspection_interval_days
        overdue = datetime.now(UTC) - timedelta(days=interval_days + 10)
        due_aid = rows.aed_of[(layout.inspect_due, DEVICE)]
        behind_aid = rows.aed_of[(layout.inspect_behind, DEVICE)]
        with self.db.session() as session:
            # Time passed: the check is 40 days old and the moment to look again (which
            # the evaluation stores, Asset.reevaluate_at) has come, as it would have.
            session.execute(update(Asset).where(Asset.id == due_aid).values(
                last_inspection_at=overdue, reevaluate_at=datetime.now(UTC)))
        self.faults.append(Fault(
            f"inspection_overdue:{layout.inspect_due}", "inspection overdue: "
            "last_inspection_at 40 days ago and its next-look moment now (time passed)",
            "inspection_overdue", ("asset", str(due_aid)),
            self.scope(rows, layout.inspect_due, [DEVICE]),
            DEADLINES_PERIOD_S + DEADLINE_SLACK_S,
            f"next deadlines run (≤ {DEADLINES_PERIOD_S:g} s + 1 s)", "DB", t0=time.time()))
        with self.db.session() as session:
            # Behind the app's back: only the check date moves.
            session.execute(update(Asset).where(Asset.id == behind_aid)
                            .values(last_inspection_at=overdue))
        self.faults.append(Fault(
            f"inspection_behind:{layout.inspect_behind}", "inspection overdue, changed in "
            "the DB behind the app's back (last_inspection_at only)", "inspection_overdue",
            ("asset", str(behind_aid)), self.scope(rows, layout.inspect_behind, [DEVICE]),
            RECONCILE_S, "the reconciliation (every 10 min)", "DB only", measured=False,
            t0=time.time()))

        today = datetime.now(UTC).astimezone(tz).date()
        low, soon = rows.stations["low-op"], rows.stations["expiring-op"]
        with self.db.session() as session:
            # A volunteer takes out the damaged gloves: the station falls below par.
            t0 = time.time()
            restock_station(session, session.get_one(Site, low.site_id),
                            Actor(None, "drill"), [], [low.lot_ids["gloves"]],
                            datetime.now(UTC), tz, policy)
        self.faults.append(Fault(
            "stock_low:restock-op", "stock below par: a restock that takes the gloves lot "
            "out (app.stock.restock)", "stock_low", ("site", str(low.site_id)),
            frozenset({("site", str(low.site_id))}), 5.0, "its own transaction (≤ 5 s)",
            "restock operation", t0=t0))
        with self.db.session() as session:
            t0 = time.time()
            restock_station(session, session.get_one(Site, soon.site_id),
                            Actor(None, "drill"),
                            [Delivery("plaster", 2, today + timedelta(days=20), "DRILL-SOON")],
                            [], datetime.now(UTC), tz, policy)
        self.faults.append(Fault(
            "stock_expiring:restock-op", "lot expiring within its lead time: a restock "
            "delivering plasters that expire in 20 days", "stock_expiring",
            ("site", str(soon.site_id)), frozenset({("site", str(soon.site_id))}), 5.0,
            "its own transaction (≤ 5 s)", "restock operation", t0=t0))

        low_db, soon_db = rows.stations["low-db"], rows.stations["expiring-db"]
        with self.db.session() as session:
            session.execute(update(StockLot).where(StockLot.id == low_db.lot_ids["gloves"])
                            .values(quantity=1))
            plaster = session.scalars(select(SupplyItem.id)
                                      .where(SupplyItem.code == "plaster")).one()
            session.add(StockLot(site_id=soon_db.site_id, item_id=plaster, quantity=2,
                                 expiry=today + timedelta(days=20), lot_code="DRILL-DB-SOON",
                                 received_at=datetime.now(UTC)))
        t0 = time.time()
        for label, kind, what in (
            ("low-db", "stock_low", "stock below par, DB only (gloves lot quantity 8 → 1)"),
            ("expiring-db", "stock_expiring", "lot expiring in 20 days, DB only (a lot "
             "inserted)"),
        ):
            site = rows.stations[label].site_id
            self.faults.append(Fault(
                f"{kind}:{label}", what, kind, ("site", str(site)),
                frozenset({("site", str(site))}), HOURLY_S, "hourly (restock job)",
                "DB only", measured=False, t0=t0))
        # What an operator would try: run the job now. Threads, so the watch starts.
        for job in ("restock", "reconcile"):
            thread = threading.Thread(target=self._run_once, args=(job, plan), daemon=True)
            thread.start()

    def _run_once(self, job: str, plan: Plan) -> None:
        started = time.time()
        done = run_cli(flask("jobs", "run-once", job, "--force"), self.env)
        self.cli[job] = {"seconds": round(time.time() - started, 2), "exit": done.returncode,
                         "output": (done.stdout + done.stderr).strip()[-400:],
                         "next_regular_run": next_slot(datetime.now(UTC), HOURLY_S)
                         .isoformat()}

    # -- phase: watch ------------------------------------------------------------------

    def _wait_out(self, watch: AlertWatch) -> None:
        """Until every timed fault has its alert or its deadline has passed, then the
        margin, in which a second or late alert would show."""
        timed = [f for f in self.faults if f.measured and f.due is not None]

        def decided() -> bool:
            now = time.time()
            seen = {(a.subject, a.kind) for a in watch.snapshot()}
            return all((f.subject, f.expected) in seen or now > (f.due or 0) + 1.0
                       for f in timed)

        last_due = max(f.due or 0 for f in timed)
        until(decided, max(30.0, last_due - time.time() + 5), "every fault decided", 0.2)
        # Each fault's story is complete once its alert is in (or its deadline passed)
        # and its own watch is over; the margin after the last of them is where a late
        # or second alert would show.
        seen = {(a.subject, a.kind): a.seen_open for a in watch.snapshot()}
        complete = [max(seen.get((f.subject, f.expected), f.due or 0), (f.t0 or 0) + f.watch_s)
                    for f in timed]
        end = max(time.time(), *complete) + self.plan.margin_s
        log(f"decided; watching {end - time.time():.0f} s more for late or second alerts")
        until(lambda: time.time() >= end and len(self.cli) == 2, end - time.time() + 120,
              "the end of the watch", 0.2)

    # -- report ------------------------------------------------------------------------

    def _report(self, rows: FleetRows, layout: Layout, watch: AlertWatch, probe: RawProbe,
                mailbox: TimedMailBox, baseline_id: int, sweep: Sweep) -> dict[str, Any]:
        alerts = watch.snapshot()
        mails = mailbox.snapshot()
        with self.db.session() as session:
            notes = [NotificationRow(a or 0, e, s, b, st) for a, e, s, b, st in session.execute(
                select(NotificationLog.alert_id, NotificationLog.event,
                       NotificationLog.subject, NotificationLog.body, NotificationLog.status))]
            runs = {started: job for job, started in session.execute(
                select(JobRun.job_id, JobRun.started_at))}
            counters = {row.client_id: row.counters for row in session.scalars(
                select(IngestWorker))}
        verdicts: list[Verdict] = []
        for fault in self.faults:
            verdict = judge(fault, alerts, baseline_id, notes, mails, sweep.opens)
            if verdict.alert is not None:
                job = runs.get(verdict.alert.opened_at)
                verdict.raised_by = f"{job} job" if job else "a writer (ingest, restock)"
                if not fault.measured and verdict.latency_s is not None:
                    fault.notes.append(f"raised live by the {verdict.raised_by} after "
                                       f"{verdict.latency_s:.1f} s, before its hourly job")
            if fault.key.startswith(("will:", "will_control:")):
                self._will_diagnosis(fault, probe, verdict)
            # The raw hop: the same message at a bare subscriber; for a will, from the
            # kill to the will's arrival there (the broker noticing the dead socket).
            if fault.key.startswith(("will:", "will_control:")):
                arrival = probe.arrival(state_topic(fault.subject[1], ROOT), "offline@last")
                sent_at = fault.t0
            elif fault.first_msg is not None:
                arrival = probe.arrival(fault.first_msg.topic, fault.first_msg.msg_id)
                sent_at = fault.first_msg.at
            else:
                arrival = sent_at = None
            if arrival is not None and sent_at is not None:
                verdict.raw_hop_s = arrival - sent_at
            verdicts.append(verdict)
        self._state_checks(verdicts, rows, layout)

        scopes = set().union(*(f.scope for f in self.faults))
        healthy = {("gateway", g) for g in layout.healthy_sim} | {
            ("asset", str(rows.aed_of[(g, "aed-01")])) for g in layout.healthy_sim}
        early = set().union(*(f.scope for f in self.faults if not f.before_baseline))
        false_alerts = [a for a in alerts if a.subject in healthy
                        or (a.subject in early and a.id <= baseline_id)
                        or (a.id > baseline_id and a.subject not in scopes)]
        missed = [o for o in sweep.opens if o[0] not in scopes]
        false_ids = {a.id for a in false_alerts}
        told = [n for n in notes if n.alert_id in false_ids and n.status == "sent"]
        return {"verdicts": verdicts, "false_alerts": false_alerts, "missed": missed,
                "false_told": {"opened": sum(n.event == "opened" for n in told),
                               "resolved": sum(n.event == "resolved" for n in told)},
                "baseline_id": baseline_id, "sweep": sweep, "alerts": alerts,
                "mails": len(mails), "cli": self.cli, "watch_polls": watch.polls,
                "ingest": {k: {c: v.get(c) for c in ("received", "stored", "superseded",
                                                     "duplicates", "dead_lettered",
                                                     "quarantined")}
                           for k, v in counters.items() if isinstance(v, dict)}}

    def _will_diagnosis(self, fault: Fault, probe: RawProbe, verdict: Verdict) -> None:
        """Say what the broker sent: the will's own ts against the birth's."""
        topic = state_topic(fault.subject[1], ROOT)
        will, birth = probe.state(topic, "offline"), probe.state(topic, "online")
        if will is None:
            fault.notes.append("the broker published no offline will")
            return
        fault.notes.append(f"will: session {will.get('session')} ts {will.get('ts')}; "
                           f"birth: session {birth.get('session') if birth else None} ts "
                           f"{birth.get('ts') if birth else None}")
        with self.db.session() as session:
            gateway = session.get_one(Gateway, fault.subject[1])
            fault.notes.append(f"gateway row: state {gateway.state}, state_ts "
                               f"{gateway.state_ts}, state_received_at "
                               f"{gateway.state_received_at}")
        if verdict.alert is not None and verdict.alert.detail:
            fault.notes.append(f"alert cause: {verdict.alert.detail.get('cause')}")

    def _state_checks(self, verdicts: list[Verdict], rows: FleetRows, layout: Layout) -> None:
        """AEDs behind a dead gateway are `unknown` in the same transaction as its
        alert (status_changed_at equals the alert's opened_at); a silent device's AED is
        `unknown`, its neighbour still `ready`."""
        with self.db.session() as session:
            for v in verdicts:
                key = v.fault.key
                if (key.startswith(("will:", "gateway_silent:", "will_control:"))
                        and v.alert is not None):
                    gw = v.fault.subject[1]
                    dev = "aed-01" if key.startswith("will:") else DEVICE
                    asset = session.get_one(Asset, rows.aed_of[(gw, dev)])
                    opened = session.get_one(Alert, v.alert.id).opened_at
                    changed = asset.status_changed_at
                    # Unknown at the latest in the transaction that opened the alert.
                    v.checks["aed_unknown_with_alert"] = (
                        asset.status == "unknown" and changed is not None and changed <= opened)
                    if changed != opened:
                        v.fault.notes.append(
                            f"its AED turned {asset.status} at {changed}, not in the alert's "
                            f"transaction ({opened})")
                if key.startswith("device_silent:"):
                    gw_id = key.split(":", 1)[1]
                    silent = session.get_one(Asset, rows.aed_of[(gw_id, "cab-2")])
                    other = session.get_one(Asset, rows.aed_of[(gw_id, DEVICE)])
                    v.checks["aed_unknown"] = silent.status == "unknown"
                    v.checks["neighbour_ready"] = other.status == "ready"
                    if not all(v.checks.values()):
                        v.fault.notes.append(f"silent AED {silent.status}, neighbour "
                                             f"{other.status}")


# -- output ------------------------------------------------------------------------------

def fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def summarise(plan: Plan, result: dict[str, Any], stage: Stage) -> dict[str, Any]:
    verdicts: list[Verdict] = result["verdicts"]
    lines = ["", f"{'fault':<44} {'expected alert':<25} {'latency s':>9} {'deadline':<34} "
             f"{'ratio':>6} {'mail s':>7} {'one':<4} {'ok':<4} raised by"]
    for v in verdicts:
        f = v.fault
        lines.append(
            f"{f.key:<44} {f.expected:<25} {fmt(v.latency_s):>9} {f.deadline_text:<34} "
            f"{fmt(v.ratio if f.measured else None):>6} {fmt(v.notify_s):>7} "
            f"{'yes' if v.exactly_one else 'NO':<4} "
            f"{'diag' if f.diagnostic else 'yes' if v.ok else 'NO':<4} {v.raised_by or '—'}")
        for a in v.story:
            lines.append(f"{'':<44}   story: {a.kind} first, {a.resolution}")
        for a in v.extra:
            lines.append(f"{'':<44}   EXTRA: {a.kind} on {a.subject_type} {a.subject_id} "
                         f"({a.status}, {a.resolution or ''})")
        for note in f.notes:
            lines.append(f"{'':<44}   note: {note}")
        for name, good in v.checks.items():
            if not good:
                lines.append(f"{'':<44}   FAILED check: {name}")
    print("\n".join(lines), flush=True)
    false_alerts: list[SeenAlert] = result["false_alerts"]
    at_start = [a for a in false_alerts if a.id <= result["baseline_id"]]
    print(f"\nfalse alerts (on AEDs, gateways, stations that were not faulty): "
          f"{len(false_alerts)} ({len(at_start)} while the fleet started, "
          f"{len(false_alerts) - len(at_start)} during the drill)")
    for a in false_alerts[:30]:
        life = (f"resolved after {a.seen_resolved - a.seen_open:.1f} s ({a.resolution})"
                if a.seen_resolved is not None else a.status)
        print(f"  {a.kind} on {a.subject_type} {a.subject_id} (id {a.id}, {life}, "
              f"detail {a.detail})")
    print(f"messages sent about them: {json.dumps(result['false_told'])}")
    print(f"ingest counters: {json.dumps(result['ingest'])}")
    failing = [v for v in verdicts if not v.ok]
    if failing:
        print("\nproblems:")
    for v in failing:
        why = []
        if v.fault.measured and v.latency_s is None:
            why.append("no alert")
        elif v.within is False:
            why.append(f"{v.latency_s:.2f} s > deadline {v.fault.deadline_s:g} s")
        if v.fault.urgent and (v.notify_ratio is None or v.notify_ratio > 1):
            why.append(f"notification {fmt(v.notify_s)} s > {URGENT_NOTIFY_S:g} s")
        if not v.exactly_one:
            others = ", ".join(f"{a.kind} on {a.subject_type} {a.subject_id}" for a in v.extra)
            why.append(f"not exactly one: {others or 'see notes'}")
        why += [f"check {name} failed" for name, good in v.checks.items() if not good]
        print(f"  {v.fault.key}: {'; '.join(why)}")
    if result["missed"]:
        print(f"missed elsewhere (a final reconciliation would open): {result['missed']}")
    print(f"run-once: {json.dumps(result['cli'], ensure_ascii=False)}")

    timed = [v for v in verdicts if v.fault.measured and not v.fault.diagnostic]
    entries: list[tuple[float, float, str]] = []  # (ratio, deadline, what)
    for v in timed:
        entries.append((v.ratio if v.ratio is not None else float("inf"), v.fault.deadline_s,
                        f"{v.fault.key} alert"))
        if v.fault.urgent:
            entries.append((v.notify_ratio if v.notify_ratio is not None else float("inf"),
                            URGENT_NOTIFY_S, f"{v.fault.key} notification"))
    worst = max(entries, key=lambda e: e[0])
    hops = [v.raw_hop_s for v in verdicts if v.raw_hop_s is not None]
    hop = statistics.median(hops) if hops else None
    baseline = None if hop is None else hop / worst[1]
    value = worst[0]
    finite = value != float("inf")
    urgent = [v for v in timed if v.fault.urgent]
    ok = (all(v.ok for v in timed)
          and all(v.exactly_one for v in verdicts if not v.fault.diagnostic)
          and not false_alerts and not result["missed"])
    phases = {k: round(t - stage.phases.get("broker", t), 2) for k, t in stage.phases.items()}
    return {
        "name": "detection_drill",
        "value": round(value, 4) if finite else None,
        "unit": "latency/deadline (worst fault; ≤ 1 meets every deadline); baseline = raw "
                "MQTT publish→subscriber time on the same broker (median over the fault "
                "messages) / the same deadline, so ratio = the worst latency in raw broker "
                "hops",
        "baseline": round(baseline, 6) if baseline is not None else None,
        "ratio": round(value / baseline, 1) if baseline and finite else None,
        "target": 1.0,
        "ok": ok,
        "worst": worst[2],
        "raw_hop_ms": {"median": round(hop * 1000, 2) if hop is not None else None,
                       "max": round(max(hops) * 1000, 2) if hops else None, "n": len(hops)},
        "false_alerts": len(false_alerts),
        "false_alerts_at_start": len(at_start),
        "false_alert_kinds": dict(Counter(a.kind for a in false_alerts)),
        "false_alert_messages_sent": result["false_told"],
        "ingest_counters": result["ingest"],
        "missed_elsewhere": len(result["missed"]),
        "urgent_notify_s": [round(v.notify_s, 3) if v.notify_s is not None else None
                            for v in urgent],
        "faults": [{
            "key": v.fault.key, "expected": v.fault.expected, "via": v.fault.via,
            "latency_s": round(v.latency_s, 3) if v.latency_s is not None else None,
            "opened_at_s": round(v.opened_at_s, 3) if v.opened_at_s is not None else None,
            "deadline_s": v.fault.deadline_s, "ratio": round(v.ratio, 3) if v.ratio is not None
            else None, "notify_s": round(v.notify_s, 3) if v.notify_s is not None else None,
            "exactly_one": v.exactly_one, "timed": v.fault.measured,
            "diagnostic": v.fault.diagnostic, "ok": v.ok,
            "raised_by": v.raised_by,
            "raw_hop_ms": round(v.raw_hop_s * 1000, 2) if v.raw_hop_s is not None else None,
            "story": [describe(a, v.fault.t0) for a in v.story],
            "extra": [describe(a, v.fault.t0) for a in v.extra],
            "checks": v.checks, "notes": v.fault.notes,
        } for v in verdicts],
        "false_alert_list": [describe(a, None) for a in false_alerts[:20]],
        "run_once": result["cli"],
        "config": {"quick": plan.quick, "backend": plan.backend,
                   "report_interval_s": plan.interval_s, "door_limit_min": plan.door_limit_min,
                   "healthy_gateways": plan.sim_gateways + len(demo_gateways()),
                   "repeats": plan.repeats, "mails_received": result["mails"]},
        "phases_s": phases,
    }


# -- entry point -------------------------------------------------------------------------

def parse(argv: Sequence[str] | None) -> Plan:
    p = argparse.ArgumentParser(prog="python -m tests.benchmarks.detection_drill",
                                description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--interval", type=int, default=None, help="report interval (s)")
    p.add_argument("--repeats", type=int, default=None, help="copies of each MQTT fault")
    p.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    args = p.parse_args(argv)
    quick = bool(args.quick)
    return Plan(quick=quick, backend=args.backend,
                interval_s=args.interval or (5 if quick else 20),
                door_limit_min=0.25 if quick else 0.5, sim_gateways=10 if quick else 40,
                repeats=args.repeats or (1 if quick else 3), stagger_s=0.4 if quick else 1.0,
                margin_s=3.0 if quick else 65.0, keep=bool(args.keep))


@contextlib.contextmanager
def database(plan: Plan, work: Path) -> Iterator[str]:
    if plan.backend == "sqlite":
        yield f"sqlite:///{work / 'aed.sqlite3'}"
        return
    # PostgreSQL's durable defaults, as users run it (the suite's cluster has them off).
    with postgres_server(durable=True) as server:
        url = server.create_database()
        try:
            yield url
        finally:
            with contextlib.suppress(Exception):
                server.drop_database(url)


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse(argv)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)  # unwinds through every finally: all cleaned up

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    work = Path(tempfile.mkdtemp(prefix="aed-drill-"))
    stage = Stage(work, ProcSet(work))
    started = time.time()
    summary: dict[str, Any]
    try:
        with database(plan, work) as url:
            drill = Drill(plan, stage, url)
            try:
                result = drill.run()
            finally:
                drill.db.dispose()
        summary = summarise(plan, result, stage)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            log("interrupted; everything was stopped")
        traceback.print_exc()
        print(stage.procs.tails(), file=sys.stderr)
        summary = {"name": "detection_drill", "value": None,
                   "unit": "latency/deadline (worst fault; ≤ 1 meets every deadline)",
                   "baseline": None, "ratio": None, "target": 1.0, "ok": False,
                   "error": f"{type(exc).__name__}: {exc}"[:2000]}
    finally:
        if plan.keep:
            log(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    summary["seconds"] = round(time.time() - started, 1)
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    return 0 if summary.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
