"""Login throttling: backoff per (account, address) and per address, no lockout a
stranger can cause, no extra tries for parallel requests, proxies only when trusted."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app import create_app
from app.auth import throttle
from tests.security.seeded import seeded  # noqa: F401 - fixture
from tests.support.web_login import DEMO_PASSWORD, csrf_token

STRANGER = "203.0.113.5"
OWNER = "198.51.100.7"


def _attempt(client: FlaskClient, username: str, password: str, addr: str,
             headers: dict[str, str] | None = None) -> int:
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token},
                       environ_base={"REMOTE_ADDR": addr}, headers=headers or {}).status_code


@pytest.fixture
def slow_backoff(seeded: Flask, app_config: dict[str, object]) -> Flask:  # noqa: F811
    """Backoff of ten minutes after the free tries, so no turn comes due mid-test."""
    app = create_app({**app_config, "LOGIN_BACKOFF_FIRST_S": 600})
    yield app
    app.extensions["aed.db"].dispose()


def test_a_stranger_cannot_lock_out_the_owner(slow_backoff: Flask) -> None:
    stranger = slow_backoff.test_client()
    codes = [_attempt(stranger, "volunteer", f"guess-{i}", STRANGER) for i in range(12)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    owner = slow_backoff.test_client()
    assert _attempt(owner, "volunteer", DEMO_PASSWORD, OWNER) == 302


def test_the_right_password_waits_at_the_guessing_address(slow_backoff: Flask) -> None:
    client = slow_backoff.test_client()
    for i in range(5):
        assert _attempt(client, "volunteer", f"guess-{i}", STRANGER) == 401
    resp_code = _attempt(client, "volunteer", DEMO_PASSWORD, STRANGER)
    assert resp_code == 429


def test_refusal_says_when_to_try_again(slow_backoff: Flask) -> None:
    client = slow_backoff.test_client()
    for i in range(5):
        _attempt(client, "volunteer", f"guess-{i}", STRANGER)
    resp = client.post("/login", data={"username": "volunteer", "password": "x",
                                       "csrf_token": csrf_token(client)},
                       environ_base={"REMOTE_ADDR": STRANGER})
    assert resp.status_code == 429
    assert 500 <= int(resp.headers["Retry-After"]) <= 600
    assert "10" in resp.get_data(as_text=True)  # "… in 10 minutes", in the page's language


def test_parallel_guesses_get_no_extra_tries(slow_backoff: Flask) -> None:
    clients = [slow_backoff.test_client() for _ in range(16)]
    tokens = [csrf_token(c) for c in clients]
    gate = threading.Barrier(len(clients))
    codes: list[int] = []
    lock = threading.Lock()

    def guess(client: FlaskClient, token: str, n: int) -> None:
        gate.wait()
        code = client.post("/login", data={"username": "volunteer", "password": f"g{n}",
                                           "csrf_token": token},
                           environ_base={"REMOTE_ADDR": STRANGER}).status_code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=guess, args=(c, t, n))
               for n, (c, t) in enumerate(zip(clients, tokens, strict=True))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(codes) == [401] * 5 + [429] * 11


def test_one_address_guessing_many_accounts_is_slowed(slow_backoff: Flask) -> None:
    client = slow_backoff.test_client()
    codes = [_attempt(client, f"user{i}", "guess", STRANGER) for i in range(32)]
    assert codes[:30] == [401] * 30 and codes[30:] == [429, 429]
    # Another address is not affected.
    assert _attempt(slow_backoff.test_client(), "viewer", DEMO_PASSWORD, OWNER) == 302


def test_clients_behind_a_trusted_proxy_are_told_apart(
    seeded: Flask, app_config: dict[str, object]  # noqa: F811
) -> None:
    app = create_app({**app_config, "LOGIN_BACKOFF_FIRST_S": 600,
                      "TRUSTED_PROXIES": "10.0.0.1"})
    client = app.test_client()
    for i in range(6):
        _attempt(client, "volunteer", f"guess-{i}", "10.0.0.1",
                 {"X-Forwarded-For": STRANGER})
    # The owner arrives through the same proxy from another address.
    assert _attempt(app.test_client(), "volunteer", DEMO_PASSWORD, "10.0.0.1",
                    {"X-Forwarded-For": OWNER}) == 302
    # A client that is not the proxy cannot pick its address with the header.
    for i in range(5):
        _attempt(client, "viewer", f"guess-{i}", STRANGER, {"X-Forwarded-For": f"192.0.2.{i}"})
    assert _attempt(client, "viewer", DEMO_PASSWORD, STRANGER,
                    {"X-Forwarded-For": "192.0.2.99"}) == 429
    app.extensions["aed.db"].dispose()


# --- the backoff schedule (unit test of app.auth.throttle on a real database) ----------

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
POLICY = throttle.ThrottlePolicy(free_per_account_address=3, free_per_address=100)


def test_waits_double_after_the_free_tries_and_are_capped(db: Session) -> None:
    now = T0
    waits = []
    for _ in range(20):
        due = throttle.take_turn(db, "alice", STRANGER, now, POLICY)
        if due is None:
            waits.append(None)
            continue
        waits.append((due - now).total_seconds())
        now = due
        assert throttle.take_turn(db, "alice", STRANGER, now, POLICY) is None
    db.commit()
    delays = [w for w in waits if w is not None]
    assert waits[:3] == [None, None, None]
    assert delays[:5] == [1.0, 2.0, 4.0, 8.0, 16.0]
    assert max(delays) == POLICY.max_delay.total_seconds()


def test_a_success_forgives_and_silence_forgets(db: Session) -> None:
    for _ in range(3):
        assert throttle.take_turn(db, "bob", STRANGER, T0, POLICY) is None
    assert throttle.take_turn(db, "bob", STRANGER, T0, POLICY) == T0 + POLICY.first_delay
    later = T0 + POLICY.forget_after + timedelta(seconds=5)
    for i in range(3):
        assert throttle.take_turn(db, "bob", STRANGER, later + timedelta(seconds=i),
                                  POLICY) is None
    throttle.forgive(db, "bob", STRANGER)
    assert throttle.take_turn(db, "bob", STRANGER, later + timedelta(seconds=4), POLICY) is None
    db.commit()
