"""Leader election: exactly one scheduler process runs jobs.

PostgreSQL: a session-level advisory lock held on a dedicated connection. When the
leader dies, its backend sees the socket close and the lock is released at once.
SQLite (or `leader = "lease"`): a lease row renewed every third of its length; when the
leader stops renewing, another process takes the row once it has expired.
"""

from __future__ import annotations

import contextlib
import logging
import zlib
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Connection, create_engine, or_, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from app.db import Database
from app.models import Lease, utcnow
from app.sql_rows import affected

log = logging.getLogger("aed.scheduler.leader")
LEADER_NAME = "scheduler-leader"


class Leader(Protocol):
    holder: str

    def acquire_or_renew(self) -> bool:
        """Try to be (or stay) leader; False means: do not run jobs now."""

    def release(self) -> None: ...


class AdvisoryLockLeader:
    def __init__(self, db: Database, holder: str, name: str = LEADER_NAME) -> None:
        self.holder = holder
        # Own engine without a pool: the lock lives exactly as long as this connection.
        self._engine = create_engine(db.engine.url, poolclass=NullPool,
                                     isolation_level="AUTOCOMMIT")
        self._key = zlib.crc32(name.encode()) & 0x7FFFFFFF
        self._conn: Connection | None = None

    def acquire_or_renew(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except SQLAlchemyError:
                log.warning("lost the leader connection; stepping down")
                self._drop()
                return False
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            log.warning("database unreachable for leader election: %s", exc)
            return False
        try:
            got = bool(conn.scalar(select(text(f"pg_try_advisory_lock({self._key})"))))
        except SQLAlchemyError:
            conn.close()
            return False
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.execute(text(f"SELECT pg_advisory_unlock({self._key})"))
        self._drop()
        self._engine.dispose()


class LeaseLeader:
    def __init__(self, db: Database, holder: str, lease_s: float,
                 name: str = LEADER_NAME) -> None:
        self.holder = holder
        self._db = db
        self._lease = timedelta(seconds=lease_s)
        self._name = name

    def acquire_or_renew(self) -> bool:
        now = utcnow()
        try:
            with self._db.session() as session:
                taken = affected(session.execute(
                    update(Lease)
                    .where(Lease.name == self._name,
                           or_(Lease.holder == self.holder, Lease.expires_at < now))
                    .values(holder=self.holder, expires_at=now + self._lease)
                    .execution_options(synchronize_session=False)
                ))
                if taken:
                    return True
                if session.get(Lease, self._name) is not None:
                    return False
                session.add(Lease(name=self._name, holder=self.holder,
                                  expires_at=now + self._lease))
                session.flush()
                return True
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            log.warning("lease renewal failed: %s", exc)
            return False

    def release(self) -> None:
        try:
            with self._db.session() as session:
                session.execute(
                    update(Lease)
                    .where(Lease.name == self._name, Lease.holder == self.holder)
                    .values(expires_at=utcnow() - timedelta(seconds=1))
                    .execution_options(synchronize_session=False)
                )
        except SQLAlchemyError:
            pass


def make_leader(db: Database, holder: str, mode: str, lease_s: float) -> Leader:
    if mode == "advisory" or (mode == "auto" and not db.is_sqlite):
        return AdvisoryLockLeader(db, holder)
    return LeaseLeader(db, holder, lease_s)
