"""Only our own paths are redirect targets: language switch and login `next`."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.security.redirect_probes import OFFSITE, ONSITE
from tests.security.seeded import seeded  # noqa: F401 - fixture
from tests.support.web_login import DEMO_PASSWORD, csrf_token

# Nothing here depends on the database: one backend is enough.
pytestmark = pytest.mark.sqlite_only

BASE = "http://localhost/"


def browser_target(location: str) -> str:
    """Where a lenient browser goes: it drops tabs and newlines, reads \\ as /."""
    cleaned = "".join(ch for ch in location if ch not in "\t\n\r").replace("\\", "/")
    return urljoin(BASE, cleaned.strip())


def assert_stays_home(location: str | None) -> None:
    assert location is not None
    parts = urlsplit(browser_target(location))
    assert parts.scheme == "http" and parts.netloc == "localhost", location


@pytest.mark.parametrize("target", OFFSITE)
def test_language_switch_never_leaves_the_site(client: FlaskClient, target: str) -> None:
    resp = client.get(f"/lang/en?next={quote(target, safe='')}")
    assert resp.status_code == 302
    assert_stays_home(resp.location)
    assert "evil" not in (resp.location or "")


@pytest.mark.parametrize("target", ONSITE)
def test_language_switch_follows_our_paths(client: FlaskClient, target: str) -> None:
    resp = client.get(f"/lang/en?next={quote(target, safe='')}")
    assert resp.status_code == 302 and resp.location == target


@pytest.mark.parametrize("target", OFFSITE)
def test_login_next_never_leaves_the_site(seeded: Flask, target: str) -> None:  # noqa: F811
    client = seeded.test_client()
    resp = client.post("/login", data={"username": "viewer", "password": DEMO_PASSWORD,
                                       "csrf_token": csrf_token(client), "next": target})
    assert resp.status_code == 302
    assert_stays_home(resp.location)
    assert "evil" not in (resp.location or "")


def test_login_next_follows_our_path(seeded: Flask) -> None:  # noqa: F811
    client = seeded.test_client()
    resp = client.post("/login", data={"username": "viewer", "password": DEMO_PASSWORD,
                                       "csrf_token": csrf_token(client), "next": "/alerts"})
    assert resp.status_code == 302 and resp.location == "/alerts"
