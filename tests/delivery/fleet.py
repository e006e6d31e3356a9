"""Real gateways for delivery tests, and the ledger that checks them against the database.

The fleet simulator (`python -m device_agent.simulate`) runs as a child process with
on-disk outboxes and a journal per gateway: `{gw}.observed` lists every message it
stored in its outbox, `{gw}.delivery` every PUBACK it was told (`puback 3-17`) and every
row the server's ack removed (`acked 3-17`). The ledger sets that against the rows in
the database: lost, PUBACKed-but-lost, stored twice, acked-but-not-stored.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from app.models import DeviceEvent, Heartbeat, Telemetry
from tests.ingest.factory import register

REPO = Path(__file__).resolve().parents[2]
DEVICES = ("aed-01", "aed-02")


def gateway_ids(count: int) -> list[str]:
    """The simulator's own default ids."""
    return [f"sim-gw-{i:04d}" for i in range(1, count + 1)]


def register_fleet(db: Session, count: int) -> list[str]:
    ids = gateway_ids(count)
    for gw in ids:
        register(db, gw, DEVICES)
    return ids


class SimulatorProcess:
    def __init__(self, broker_url: str, workdir: Path, gateways: int, *, interval: float = 0.05,
                 heartbeat: float = 0.5, ack_timeout: float = 3.0, delivery: str = "end_to_end",
                 max_inflight: int = 50) -> None:
        self.workdir = workdir
        self.journal = workdir / "journal"
        self.state_dir = workdir / "state"
        self.argv = [
            sys.executable, "-m", "device_agent.simulate", "--broker", broker_url,
            "--gateways", str(gateways), "--devices-per-gateway", str(len(DEVICES)),
            "--interval", str(interval), "--heartbeat", str(heartbeat),
            "--state-dir", str(self.state_dir), "--journal-dir", str(self.journal),
            "--ack-timeout", str(ack_timeout), "--ack-timeout-max", str(4 * ack_timeout),
            "--delivery", delivery, "--max-inflight", str(max_inflight), "--log-level",
            "WARNING",
        ]
        self.log_path = workdir / "simulator.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SimulatorProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.argv, cwd=REPO, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def quiesce(self) -> None:
        """No new readings from here on; the outboxes keep being delivered."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGUSR1)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)

    def terminate(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return int(self.proc.returncode)

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def observed(self) -> set[tuple[str, str]]:
        return read_journal(self.journal, "observed")

    def told(self, what: str) -> set[tuple[str, str]]:
        """(gateway, msg_id) for every `puback` or `acked` line."""
        return read_journal(self.journal, "delivery", what)

    def outbox_depth(self) -> int:
        return outbox_depth(self.state_dir / "simulator.sqlite3")


def read_journal(directory: Path, suffix: str, what: str | None = None
                 ) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for path in sorted(directory.glob(f"*.{suffix}")):
        gw = path.name[: -len(suffix) - 1]
        for line in path.read_text().splitlines():
            words = line.split()
            if what is None and len(words) == 1:
                out.add((gw, words[0]))
            elif len(words) == 2 and words[0] == what:
                out.add((gw, words[1]))
    return out


def outbox_depth(path: Path) -> int:
    """Rows left in an agent's outbox file (read beside the running agent: WAL)."""
    if not path.exists():
        return -1
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
    finally:
        conn.close()


def stored_rows(db: Session, gateways: Iterable[str]) -> dict[tuple[str, str], int]:
    """(gateway, msg_id) -> how many rows hold it, over every message table."""
    db.expire_all()
    ids = list(gateways)
    parts = [select(m.gateway_id.label("gw"), m.msg_id.label("msg_id"), literal(1).label("n"))
             .where(m.gateway_id.in_(ids)) for m in (Telemetry, DeviceEvent, Heartbeat)]
    rows = union_all(*parts).subquery()
    query = select(rows.c.gw, rows.c.msg_id, func.count()).group_by(rows.c.gw, rows.c.msg_id)
    return {(gw, msg_id): int(n) for gw, msg_id, n in db.execute(query)}


@dataclass(frozen=True)
class Ledger:
    observed: int
    pubacked: int
    stored: int
    lost: int
    pubacked_but_lost: int
    stored_twice: int
    acked_but_not_stored: int
    outbox_left: int
    gaps: int

    def line(self, name: str, **extra: Any) -> str:
        return json.dumps({"delivery_test": name, **asdict(self), **extra})


def ledger(db: Session, gateways: Iterable[str], observed: set[tuple[str, str]],
           pubacked: set[tuple[str, str]], acked: set[tuple[str, str]], outbox_left: int
           ) -> Ledger:
    rows = stored_rows(db, gateways)
    stored = set(rows)
    # Every (gateway, session) run of seq numbers from 1 to its highest must be whole.
    seqs: dict[tuple[str, int], set[int]] = {}
    for gw, msg_id in stored | observed:
        session, seq = (int(x) for x in msg_id.split("-"))
        seqs.setdefault((gw, session), set()).add(seq)
    gaps = 0
    for (gw, session), numbers in seqs.items():
        gaps += sum(1 for n in range(1, max(numbers) + 1)
                    if (gw, f"{session}-{n}") not in stored)
    return Ledger(
        observed=len(observed), pubacked=len(pubacked), stored=len(stored),
        lost=len(observed - stored), pubacked_but_lost=len(pubacked - stored),
        stored_twice=sum(1 for n in rows.values() if n > 1),
        acked_but_not_stored=len(acked - stored), outbox_left=outbox_left, gaps=gaps,
    )
