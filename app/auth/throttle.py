"""Login throttling by exponential backoff, kept in the database for every worker.

Two keys are throttled on every attempt: the (account, address) pair and the address
alone. A stranger who guesses at a volunteer's account slows down only their own pair
and their own address; the volunteer, from their phone, logs in as usual. There is no
hard lock anywhere.

Each attempt takes its turn before the password is checked, with one UPDATE per key
that succeeds only if the turn is due and counts the attempt in the same statement. So
N parallel requests get exactly the tries the budget allows, never one extra. A correct
password gives its turn back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import LoginThrottle


@dataclass(frozen=True)
class ThrottlePolicy:
    #: Attempts per (account, address) without delay, then 1 s, 2 s, 4 s ... waits.
    free_per_account_address: int = 5
    #: Attempts per address without delay (an office or school behind one NAT).
    free_per_address: int = 30
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    #: A key with no attempt for this long starts afresh.
    forget_after: timedelta = timedelta(hours=1)

    def delay_after(self, attempts: int, free: int) -> timedelta:
        """The wait before the next attempt, once ``attempts`` have been made."""
        if attempts < free:
            return timedelta(0)
        doublings = min(attempts - free, 30)
        return min(self.first_delay * (2 ** doublings), self.max_delay)


def keys_for(username: str, remote_addr: str | None) -> list[tuple[str, str]]:
    """(kind, key) pairs: the account at this address, and the address."""
    address = (remote_addr or "unknown")[:64]
    account = username.strip().lower()[:120]
    return [("pair", f"acct:{account}|ip:{address}"), ("address", f"ip:{address}")]


def _free(kind: str, policy: ThrottlePolicy) -> int:
    return policy.free_per_account_address if kind == "pair" else policy.free_per_address


#: "Due at once", far enough back that parallel requests, each with its own clock
#: reading a few microseconds apart, all find a free turn due.
ALWAYS_DUE = datetime(2000, 1, 1, tzinfo=UTC)


def _due_after(attempts: int, now: datetime, free: int, policy: ThrottlePolicy) -> datetime:
    delay = policy.delay_after(attempts, free)
    return now + delay if delay else ALWAYS_DUE


def _next_turn(counted: Any, now: datetime, free: int, policy: ThrottlePolicy) -> Any:
    """SQL for when the next turn is due once ``counted`` attempts were made: the
    doubling schedule spelled out as a CASE, so the database applies it in the UPDATE."""
    whens: list[tuple[Any, datetime]] = [(counted < free, ALWAYS_DUE)]
    attempts = free
    while policy.delay_after(attempts, free) < policy.max_delay:
        whens.append((counted == attempts, now + policy.delay_after(attempts, free)))
        attempts += 1
    return case(*whens, else_=now + policy.max_delay)


def _take_turn(session: Session, kind: str, key: str, now: datetime,
               policy: ThrottlePolicy) -> datetime | None:
    """Count one attempt on ``key``; None when taken, else when the next turn is due."""
    free = _free(kind, policy)
    # A key with no attempt for forget_after starts again at one (forget_after exceeds
    # max_delay, so such a key is always due).
    counted = case((LoginThrottle.last_attempt_at <= now - policy.forget_after, 1),
                   else_=LoginThrottle.attempts + 1)
    # Check and count in one statement: of parallel requests, the database lets through
    # exactly those whose turn is due (the row lock re-checks the WHERE after waiting).
    take = (
        update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.next_attempt_at <= now)
        .values(attempts=counted, last_attempt_at=now,
                next_attempt_at=_next_turn(counted, now, free, policy))
        .execution_options(synchronize_session=False)
    )
    for _ in range(3):
        if session.execute(take).rowcount == 1:  # type: ignore[attr-defined]
            return None
        due = session.scalar(
            select(LoginThrottle.next_attempt_at).where(LoginThrottle.key == key))
        if due is not None:
            return due if due > now else now + policy.first_delay
        try:
            with session.begin_nested():
                session.execute(insert(LoginThrottle).values(
                    key=key, attempts=1, last_attempt_at=now,
                    next_attempt_at=_due_after(1, now, free, policy)))
            return None
        except IntegrityError:
            continue  # created by a parallel request first: take a turn on its row
    return now + policy.first_delay


def take_turn(session: Session, username: str, remote_addr: str | None, now: datetime,
              policy: ThrottlePolicy) -> datetime | None:
    """Before checking a password: None if this attempt may go ahead (and is counted),
    else the time from which it may be tried again. The caller commits either way."""
    # The address first: it is the wider budget, and a refused address spends no pair turn.
    for kind, key in reversed(keys_for(username, remote_addr)):
        due = _take_turn(session, kind, key, now, policy)
        if due is not None:
            return due
    return None


def forgive(session: Session, username: str, remote_addr: str | None) -> None:
    """After a correct password: the pair starts afresh and the address gets its turn
    back (a success is not a guess)."""
    (_, pair), (_, address) = keys_for(username, remote_addr)
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == pair))
    session.execute(
        update(LoginThrottle).where(LoginThrottle.key == address, LoginThrottle.attempts > 0)
        .values(attempts=LoginThrottle.attempts - 1)
    )
