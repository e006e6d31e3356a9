"""No shipped secret signs anything: the web app needs a key of its own to start."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient

from app import create_app
from app.config import ConfigError
from app.embedded import ensure_secret_key
from tests.security.seeded import seeded  # noqa: F401 - fixture
from tests.support.mosquitto import free_port

ROOT = Path(__file__).resolve().parents[2]
OLD_SHIPPED_KEY = "dev-insecure-change-me"


def _env_without_key(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    return env


def test_gunicorn_without_secret_key_exits_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{free_port()}",
         "--workers", "1", "app:create_app()"],
        cwd=ROOT, env=_env_without_key(tmp_path), capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("configuration error:")]
    assert lines and lines[0].startswith("configuration error: SECRET_KEY: not set"), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("key", [OLD_SHIPPED_KEY, "short-key", "a" * 40, "Change-Me"])
def test_shipped_or_weak_key_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        create_app({"DATA_DIR": str(tmp_path), "SECRET_KEY": key})
    assert info.value.setting == "SECRET_KEY"


def test_app_from_code_without_key_does_not_start(tmp_path: Path) -> None:
    # The old default key let anyone mint an admin session cookie: there is none now.
    with pytest.raises(ConfigError) as info:
        create_app({"DATA_DIR": str(tmp_path)})
    assert info.value.setting == "SECRET_KEY" and "not set" in info.value.problem


def test_cookie_forged_with_the_old_default_key_opens_nothing(
    seeded: Flask, client: FlaskClient,  # noqa: F811
) -> None:
    forger = Flask("forger")
    forger.secret_key = OLD_SHIPPED_KEY
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    client.set_cookie("aed_session", serializer.dumps({"_user_id": "1:0", "_fresh": True}))
    resp = client.get("/gateways/provisioning")
    assert resp.status_code in (302, 401) and "/login" in (resp.location or "/login")


def test_command_line_tools_run_without_a_key(tmp_path: Path) -> None:
    # They sign nothing: db upgrade and the like must not need production secrets.
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT, env=_env_without_key(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_make_run_key_is_made_once_and_private(tmp_path: Path) -> None:
    first = ensure_secret_key(tmp_path / "data")
    path = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and first != OLD_SHIPPED_KEY
    assert ensure_secret_key(tmp_path / "data") == first
    other = ensure_secret_key(tmp_path / "elsewhere")
    assert other != first


def test_a_revoked_api_token_stops_working(seeded: Flask, client: FlaskClient) -> None:  # noqa: F811
    runner = seeded.test_cli_runner()
    token = runner.invoke(args=["user", "token", "coordinator"]).output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/sites", headers=headers).status_code == 200
    result = runner.invoke(args=["user", "revoke-token", "coordinator"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/sites", headers=headers).status_code == 401
