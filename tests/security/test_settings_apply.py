"""Settings that Flask predefines really take our values; every response carries the
security headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import ConfigError
from tests.security.seeded import seeded  # noqa: F401 - fixture
from tests.support.web_login import DEMO_PASSWORD, csrf_token, login

MIB = 1024 * 1024


def test_anonymous_oversized_post_is_refused_unread(client: FlaskClient) -> None:
    resp = client.post("/login", data=b"username=" + b"a" * (40 * MIB),
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 413


def test_anonymous_post_beyond_the_login_form_size_is_refused(client: FlaskClient) -> None:
    resp = client.post("/login", data={"username": "a" * (100 * 1024), "password": "x"})
    assert resp.status_code == 413


def test_anonymous_body_limit_still_lets_people_log_in(seeded: Flask) -> None:  # noqa: F811
    login(seeded.test_client(), "viewer")


def test_max_content_length_from_the_environment_applies(
    seeded: Flask, app_config: dict[str, object], monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    monkeypatch.setenv("MAX_CONTENT_LENGTH", str(200 * 1024))
    app = create_app(app_config)
    assert app.config["MAX_CONTENT_LENGTH"] == 200 * 1024
    client = app.test_client()
    login(client, "coordinator")
    big = client.post("/import", data={"kind": "sites", "csrf_token": csrf_token(client, "/import"),
                                       "blob": "x" * (300 * 1024)})
    assert big.status_code == 413
    app.extensions["aed.db"].dispose()


def test_session_cookie_secure_from_the_environment_applies(
    seeded: Flask, app_config: dict[str, object], monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "true")
    app = create_app(app_config)
    client = app.test_client()
    resp = client.post("/login", data={"username": "viewer", "password": DEMO_PASSWORD,
                                       "csrf_token": csrf_token(client)})
    assert resp.status_code == 302
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("aed_session="))
    assert "Secure" in cookie
    app.extensions["aed.db"].dispose()


@pytest.mark.parametrize("path", ["/login", "/assets", "/map/public", "/api/v1/assets",
                                  "/healthz", "/no-such-page"])
def test_every_response_has_the_security_headers(seeded: Flask, path: str) -> None:  # noqa: F811
    resp = seeded.test_client().get(path)
    csp = resp.headers.get("Content-Security-Policy", "")
    if resp.mimetype == "text/html":
        assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{20,}'", csp), csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    else:
        # Data, not a page: nothing may load or run, whatever a browser makes of it.
        assert csp == "default-src 'none'; frame-ancestors 'none'", (path, csp)
    assert resp.headers.get("X-Frame-Options") == "DENY"
    assert resp.headers.get("Referrer-Policy") == "same-origin"
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"
    assert "Strict-Transport-Security" not in resp.headers  # plain HTTP
    for name in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy",
                 "X-Content-Type-Options"):
        assert len(resp.headers.getlist(name)) == 1, (path, name)


def test_a_stranger_gets_no_session_cookie_and_a_signed_session_still_holds(
        seeded: Flask) -> None:  # noqa: F811
    stranger = seeded.test_client()
    assert "Set-Cookie" not in stranger.get("/api/v1/assets").headers
    # A forged cookie opens no session: the signature is still checked.
    stranger.set_cookie("aed_session", "eyJfdXNlcl9pZCI6IjEifQ.forged.sig")
    assert stranger.get("/alerts").status_code == 302


def test_nonce_is_new_for_every_response(client: FlaskClient) -> None:
    first = client.get("/login").headers["Content-Security-Policy"]
    second = client.get("/login").headers["Content-Security-Policy"]
    assert first != second


def test_hsts_only_over_tls(client: FlaskClient) -> None:
    resp = client.get("/login", base_url="https://localhost")
    assert resp.headers.get("Strict-Transport-Security", "").startswith("max-age=")


def test_hsts_behind_a_trusted_proxy_only(app_config: dict[str, object],
                                          tmp_path: Path) -> None:
    app = create_app({**app_config, "TRUSTED_PROXIES": "10.0.0.0/24"})
    client = app.test_client()
    via_proxy = client.get("/login", headers={"X-Forwarded-Proto": "https"},
                           environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert "Strict-Transport-Security" in via_proxy.headers
    forged = client.get("/login", headers={"X-Forwarded-Proto": "https"},
                        environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert "Strict-Transport-Security" not in forged.headers
    app.extensions["aed.db"].dispose()


@pytest.mark.parametrize("value", ["lots", "0", "-5"])
def test_bad_body_limit_names_itself(app_config: dict[str, object], value: str) -> None:
    with pytest.raises(ConfigError) as info:
        create_app({**app_config, "MAX_CONTENT_LENGTH": value})
    assert info.value.setting == "MAX_CONTENT_LENGTH"


def test_bad_trusted_proxy_names_itself(app_config: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as info:
        create_app({**app_config, "TRUSTED_PROXIES": "10.0.0.1,proxy.local"})
    assert info.value.setting == "TRUSTED_PROXIES" and "proxy.local" in info.value.problem
