"""A real PostgreSQL for the tests.

Order of preference: TEST_DATABASE_URL; a server already answering on 127.0.0.1:5432
(tried with the `postgres` user); else a throwaway cluster made with initdb/pg_ctl on a
free port. PostgreSQL refuses to run as root, so as root the cluster runs as the
`postgres` system user.

The throwaway cluster of the test suite trades durability for speed (its data is
disposable). Benchmarks pass `durable=True`: they must measure PostgreSQL as users run
it, with its defaults (fsync, synchronous_commit, full_page_writes on), so a server
found running with any of those off is not used and a cluster with the defaults is made.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class PostgresUnavailable(RuntimeError):
    pass


def _find(binary: str) -> str | None:
    found = shutil.which(binary)
    if found:
        return found
    for d in PG_BIN_DIRS:
        if (d / binary).exists():
            return str(d / binary)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    """Where to reach the server and how to make databases on it."""

    admin_url: str
    cluster_dir: Path | None = None
    pg_ctl: str | None = None
    run_as: str | None = None

    def create_database(self) -> str:
        name = f"aed_test_{uuid.uuid4().hex[:12]}"
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return str(make_url(self.admin_url).set(database=name).render_as_string(False))

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    def _ctl(self, *args: str) -> None:
        assert self.pg_ctl and self.cluster_dir
        cmd = [self.pg_ctl, "-D", str(self.cluster_dir / "data"), *args]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def stop(self, mode: str = "fast") -> None:
        if self.cluster_dir:
            self._ctl("stop", "-m", mode, "-w")

    def start(self) -> None:
        if self.cluster_dir:
            self._ctl("start", "-w", "-l", str(self.cluster_dir / "log"))


DURABILITY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")


def _is_durable(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return all(conn.execute(text(f"SHOW {name}")).scalar() == "on"
                       for name in DURABILITY_SETTINGS)
    finally:
        engine.dispose()


def _answers(url: str) -> bool:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def postgres_server(durable: bool = False) -> Iterator[PostgresServer]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if not _answers(url):
            raise PostgresUnavailable(f"TEST_DATABASE_URL does not answer: {url}")
        if not durable or _is_durable(url):
            yield PostgresServer(admin_url=url)
            return
    local = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    if _answers(local) and (not durable or _is_durable(local)):
        yield PostgresServer(admin_url=local)
        return
    initdb, pg_ctl = _find("initdb"), _find("pg_ctl")
    if not (initdb and pg_ctl):
        raise PostgresUnavailable(
            "no PostgreSQL: set TEST_DATABASE_URL, run one on 127.0.0.1:5432, "
            "or install the binaries (apt-get install postgresql)"
        )
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable("running as root but no 'postgres' user exists") from None
        run_as = "postgres"
    cluster = Path(tempfile.mkdtemp(prefix="aed-pg-"))
    if run_as:
        shutil.chown(cluster, user=run_as)
    port = free_port()

    def run(cmd: list[str]) -> None:
        if run_as:
            cmd = ["runuser", "-u", run_as, "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=180)

    run(
        [
            initdb,
            "-D",
            str(cluster / "data"),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]
    )
    with (cluster / "data" / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{cluster}'\n"
            "max_connections = 200\n"
        )
        if not durable:
            # Test data is disposable: trade durability for speed.
            conf.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
    server = PostgresServer(
        admin_url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
        cluster_dir=cluster,
        pg_ctl=pg_ctl,
        run_as=run_as,
    )
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop("immediate")
        shutil.rmtree(cluster, ignore_errors=True)
