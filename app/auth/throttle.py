"""Login rate limit kept in the database, so every worker enforces the same count.

Each key ("user:NAME", "ip:ADDR") counts failures in a fixed window. The increment is a
single UPDATE ... SET failures = failures + 1, atomic in SQLite and PostgreSQL, so two
workers failing at once both count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import LoginThrottle


@dataclass(frozen=True)
class ThrottlePolicy:
    max_failures_per_user: int = 5
    max_failures_per_ip: int = 30
    window: timedelta = timedelta(minutes=15)


def keys_for(username: str, remote_addr: str | None) -> list[tuple[str, str]]:
    keys = [("user", f"user:{username.strip().lower()[:150]}")]
    if remote_addr:
        keys.append(("ip", f"ip:{remote_addr[:150]}"))
    return keys


def _limit(kind: str, policy: ThrottlePolicy) -> int:
    return policy.max_failures_per_user if kind == "user" else policy.max_failures_per_ip


def blocked_until(
    session: Session, username: str, remote_addr: str | None, now: datetime,
    policy: ThrottlePolicy,
) -> datetime | None:
    """When the login may be tried again, or None if it may be tried now."""
    latest: datetime | None = None
    for kind, key in keys_for(username, remote_addr):
        row = session.get(LoginThrottle, key, populate_existing=True)
        if row is None or row.window_start + policy.window <= now:
            continue
        if row.failures >= _limit(kind, policy):
            until = row.window_start + policy.window
            latest = until if latest is None or until > latest else latest
    return latest


def record_failure(
    session: Session, username: str, remote_addr: str | None, now: datetime,
    policy: ThrottlePolicy,
) -> None:
    for _kind, key in keys_for(username, remote_addr):
        expired_before = now - policy.window
        # Restart an expired window, then count atomically.
        session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key, LoginThrottle.window_start <= expired_before)
            .values(failures=0, window_start=now)
        )
        result = session.execute(
            update(LoginThrottle).where(LoginThrottle.key == key)
            .values(failures=LoginThrottle.failures + 1)
        )
        if result.rowcount == 0:  # type: ignore[attr-defined]
            try:
                with session.begin_nested():
                    session.add(LoginThrottle(key=key, failures=1, window_start=now))
            except IntegrityError:
                # Another worker created it first: count on its row.
                session.execute(
                    update(LoginThrottle).where(LoginThrottle.key == key)
                    .values(failures=LoginThrottle.failures + 1)
                )


def record_success(session: Session, username: str) -> None:
    key = keys_for(username, None)[0][1]
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key))


def failures(session: Session, key: str) -> int:
    return session.scalar(select(LoginThrottle.failures).where(LoginThrottle.key == key)) or 0
