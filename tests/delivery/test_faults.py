"""Faults on real processes: every message a gateway handed over is stored exactly once.

Real Mosquitto with the shipped config (persistence saved every 5 minutes, not per
change), the real ingest process, real gateways (the fleet simulator or the agent CLI,
with on-disk outboxes) and the real database. Each test counts what the publishers were
told (their journals: stored in the outbox, PUBACKed, acknowledged by the server)
against the rows in the database, prints the counts as one JSON line and asserts 0 lost,
0 PUBACKed-but-lost, 0 stored twice, 0 acknowledged-but-not-stored and empty outboxes.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.agent.conftest import AgentProcess, agent_config, to_toml
from tests.delivery.fleet import (
    Ledger,
    SimulatorProcess,
    ledger,
    outbox_depth,
    read_journal,
    register_fleet,
    stored_rows,
)
from tests.ingest.factory import register
from tests.ingest.processes import IngestProcess, subscribed, wait_subscribed
from tests.support.mosquitto import MosquittoBroker
from tests.support.wait import wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
GATEWAYS = 20
Fleet = Callable[..., SimulatorProcess]


def stored_count(db: Session, ids: list[str]) -> int:
    return len(stored_rows(db, ids))


def settle(db: Session, sim: SimulatorProcess, ids: list[str], name: str, **extra: object
           ) -> Ledger:
    """No new readings; wait for every outbox to empty (all acknowledged), then count."""
    sim.quiesce()
    wait_for(lambda: sim.outbox_depth() == 0, 120,
             message=lambda: f"outboxes to empty, {sim.outbox_depth()} rows left; "
                             f"simulator log:\n{sim.log()[-2000:]}")
    assert sim.terminate() == 0, sim.log()[-2000:]
    counts = ledger(db, ids, sim.observed(), sim.told("puback"), sim.told("acked"),
                    sim.outbox_depth())
    print(counts.line(name, **extra))
    return counts


def assert_nothing_lost(counts: Ledger) -> None:
    assert counts.observed > 0 and counts.pubacked > 0
    assert (counts.lost, counts.pubacked_but_lost, counts.stored_twice,
            counts.acked_but_not_stored, counts.outbox_left, counts.gaps) == (0, 0, 0, 0, 0, 0), counts


def test_kill_9_of_the_broker_mid_stream_loses_nothing_handed_over(
    db: Session, broker: MosquittoBroker, fleet: Fleet, ingest: IngestProcess
) -> None:
    ids = register_fleet(db, GATEWAYS)
    # Small batches keep ingest behind the fleet, so the broker holds a queue for it
    # (what a broker does in a burst) when it is killed.
    ingest.argv += ["--batch-size", "5"]
    ingest.start()
    wait_subscribed(db, ingest)
    sim = fleet(GATEWAYS)
    wait_for(lambda: stored_count(db, ids) > 500, 60,
             message=lambda: f"ingest to store some; {sim.log()[-1000:]}")
    # Ingest is held for a moment, so the broker surely holds messages it PUBACKed (as
    # in any burst) when it dies; then it goes on as before.
    ingest.signal_all(signal.SIGSTOP)
    try:
        wait_for(lambda: len(sim.told("puback") - set(stored_rows(db, ids))) > 200, 30,
                 message="a queue at the broker")
        pubacked = sim.told("puback")
        broker.kill()
    finally:
        ingest.signal_all(signal.SIGCONT)
    # What the broker had PUBACKed and not yet handed to ingest died with it: it saves
    # every 5 minutes, and this broker is younger than that.
    wait_for(lambda: not subscribed(db, ingest.client_id), 30, message="ingest to notice")
    held_by_broker = len(pubacked - set(stored_rows(db, ids)))
    assert held_by_broker > 0, "killed between messages: nothing was at stake"
    at_kill = len(sim.observed())
    wait_for(lambda: len(sim.observed()) > at_kill + 200, 30, message="readings in the outage")
    broker.start()  # the same persistence directory
    resumed = stored_count(db, ids)
    wait_for(lambda: stored_count(db, ids) > resumed + 500, 90, message="delivery to resume")
    counts = settle(db, sim, ids, "broker_kill_9", held_by_broker_at_kill=held_by_broker)
    assert_nothing_lost(counts)
    assert ingest.alive and ingest.terminate() == 0


def test_kill_9_of_ingest_mid_stream_loses_nothing(
    db: Session, broker: MosquittoBroker, fleet: Fleet, ingest: IngestProcess
) -> None:
    ids = register_fleet(db, GATEWAYS)
    ingest.start()
    wait_subscribed(db, ingest)
    sim = fleet(GATEWAYS)
    wait_for(lambda: stored_count(db, ids) > 500, 60, message="ingest to store some")
    ingest.kill()
    at_kill = len(sim.observed())
    wait_for(lambda: len(sim.observed()) > at_kill + 200, 30, message="readings meanwhile")
    ingest.start()
    resumed = stored_count(db, ids)
    wait_for(lambda: stored_count(db, ids) > resumed + 500, 90, message="ingest to resume")
    assert_nothing_lost(settle(db, sim, ids, "ingest_kill_9"))
    assert ingest.terminate() == 0


@pytest.mark.pg_only
def test_a_postgresql_restart_mid_stream_loses_nothing(
    db: Session, broker: MosquittoBroker, fleet: Fleet, ingest: IngestProcess,
    request: pytest.FixtureRequest,
) -> None:
    server = request.getfixturevalue("pg_server")
    if server.cluster_dir is None:
        pytest.skip("the PostgreSQL server is not one the tests started (cannot restart it)")
    ids = register_fleet(db, GATEWAYS)
    ingest.start()
    wait_subscribed(db, ingest)
    sim = fleet(GATEWAYS)
    wait_for(lambda: stored_count(db, ids) > 500, 60, message="ingest to store some")
    db.close()
    server.stop("fast")
    try:
        wait_for(lambda: "database unavailable" in ingest.log(), 30,
                 message="ingest to notice the outage")
        at_stop = len(sim.observed())
        wait_for(lambda: len(sim.observed()) > at_stop + 200, 30, message="readings meanwhile")
    finally:
        server.start()
    assert ingest.alive, f"ingest died during the outage:\n{ingest.log()[-3000:]}"
    assert_nothing_lost(settle(db, sim, ids, "postgresql_restart"))
    assert ingest.terminate() == 0


def test_kill_9_of_the_agent_during_a_broker_outage_loses_nothing(
    db: Session, broker: MosquittoBroker, ingest: IngestProcess, tmp_path: Path
) -> None:
    gw = "gw-test-1"
    register(db, gw, ("aed-01",))
    journal = tmp_path / "journal"
    journal.mkdir()
    cfg = agent_config(tmp_path, broker.port, poll_interval_s=0.05, report_interval_s=0.1,
                       heartbeat_interval_s=0.5, observed_log=str(journal / f"{gw}.observed"),
                       delivery_log=str(journal / f"{gw}.delivery"),
                       outbox={"ack_timeout_s": 3.0, "ack_timeout_max_s": 12.0})
    cfg["devices"][0]["options"]["faults"] = [
        {"fault": "door_open", "at_s": 1.0, "duration_s": 1.0},
        {"fault": "aed_removed", "at_s": 4.0, "duration_s": 2.0},
    ]
    config = tmp_path / "agent.toml"
    config.write_text(to_toml(cfg))
    agent = AgentProcess(config, tmp_path / "agent.log")
    ingest.start()
    wait_subscribed(db, ingest)
    try:
        agent.start()
        wait_for(lambda: stored_count(db, [gw]) > 20, 30, message=lambda: agent.log()[-2000:])
        broker.kill()
        observed = lambda: read_journal(journal, "observed")  # noqa: E731
        at_outage = len(observed())
        wait_for(lambda: len(observed()) >= at_outage + 15, 10, message="readings in the outage")
        agent.kill9()
        crashed = max(int(m.split("-")[0]) for _, m in observed())
        agent.start()
        wait_for(lambda: sum(m.startswith(f"{crashed + 1}-") for _, m in observed()) >= 15, 15,
                 message="the restarted agent observing")
        broker.start()
        wait_for(lambda: stored_count(db, [gw]) >= len(observed()) - 5, 60,
                 message="the backlog to arrive")
        assert agent.process is not None
        agent.process.send_signal(signal.SIGUSR1)
        outbox = Path(cfg["state_dir"]) / "outbox.sqlite3"
        wait_for(lambda: outbox_depth(outbox) == 0, 90,
                 message=lambda: f"the outbox to empty ({outbox_depth(outbox)} left)")
        assert agent.terminate() == 0
    finally:
        agent.cleanup()
    counts = ledger(db, [gw], observed(), read_journal(journal, "delivery", "puback"),
                    read_journal(journal, "delivery", "acked"), outbox_depth(outbox))
    print(counts.line("agent_kill_9_in_broker_outage"))
    assert_nothing_lost(counts)
    sessions = {int(m.split("-")[0]) for _, m in observed()}
    assert {crashed, crashed + 1} <= sessions
    assert ingest.terminate() == 0
