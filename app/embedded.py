"""`make run`: the whole system on embedded defaults, in one terminal.

Migrates the database, loads the demo when the database is empty, then starts and
supervises the processes (web, and the device path once present). Ctrl-C stops all of
them; if one dies, the others are stopped too and the exit status says so.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from sqlalchemy import func, select

from app import create_app, migrate
from app.config import load_settings
from app.demo.seed import DemoRefused, seed_demo
from app.demo.training import seed_training
from app.demo.yangpu import DEMO_USERS
from app.embedded_broker import device_path, server_env
from app.extensions import get_aed_context, get_db, get_settings
from app.models import Asset, utcnow
from app.training.policy import training_policy
from app.training.refresh import TrainingContext

log = logging.getLogger("aed.run")


@dataclass
class Managed:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log.info("starting %s: %s", self.name, " ".join(self.argv))
        self.proc = subprocess.Popen(self.argv, env={**os.environ, **self.env})

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name


def ensure_secret_key(data_dir: Path) -> str:
    """This install's session key: made once, kept in DATA_DIR readable by us alone."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if key:
        path.chmod(0o600)
        return key
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(key + "\n")
    log.info("made a session key for this install in %s", path)
    return key


def prepare() -> list[str]:
    """Migrate and load the demo into an empty database; the demo logins made now."""
    app = create_app()
    logins: list[str] = []
    with app.app_context():
        db = get_db()
        migrate.upgrade(db.engine)
        with db.session() as session:
            if not session.scalar(select(func.count()).select_from(Asset)):
                try:
                    result = seed_demo(session, utcnow(), get_aed_context())
                except DemoRefused as exc:
                    log.warning("demo not loaded: %s", exc)
                else:
                    log.info("demo loaded: %d sites, %d AEDs", result.sites, result.aeds)
                    logins = result.login_lines()
                    settings = get_settings()
                    # The training programme is half of the district's work: a newcomer
                    # sees its courses, certificates and station cover too.
                    seed_training(session, utcnow(), TrainingContext(
                        training_policy(settings), settings.tz))
        log.info("database: %s", db.engine.url.render_as_string(hide_password=True))
    return logins


def banner(port: str, logins: list[str]) -> str:
    lines = [f"\n  AED tracker: http://127.0.0.1:{port}/   (API: /api/v1/assets, "
             "health: /healthz)"]
    if logins:
        lines += ["  demo logins, made for this install and shown only now:", *logins]
    else:
        lines.append(
            "  demo logins: " + ", ".join(f"{u} ({role})" for u, _n, role, _t in DEMO_USERS)
            + "; their passwords were shown when the demo was loaded"
            + " (new one: .venv/bin/flask --app app user passwd admin)")
    lines.append("  Ctrl-C stops everything.\n")
    return "\n".join(lines)


def processes(port: str) -> list[Managed]:
    py = sys.executable

    # Broker (unless one answers at MQTT_URL), ingest and the simulated demo gateways.
    settings = load_settings()
    device = [Managed(p.name, p.argv, p.env) for p in device_path(settings)]
    # Our secured Mosquitto: web and scheduler push configs with the server account.
    server = server_env(settings) if any(p.name == "mosquitto" for p in device) else {}
    return [
        *device,
        Managed("web", [py, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                        "--threads", "4", "--access-logfile", "-", "app:create_app()"], server),
        Managed("scheduler", [py, "-m", "flask", "--app", "app", "scheduler"], server),
    ]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    port = os.environ.get("PORT", "5000")
    settings = load_settings()
    if not settings.secret_key:
        # Children (web, scheduler, ingest) inherit it: one key for the whole system.
        os.environ["SECRET_KEY"] = ensure_secret_key(settings.data_dir)
    logins = prepare()
    procs = processes(port)
    stopping = False

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    for p in procs:
        p.start()
    print(banner(port, logins), flush=True)
    status = 0
    try:
        while not stopping:
            for p in procs:
                if p.proc and p.proc.poll() is not None:
                    log.error("%s exited with status %s; stopping", p.name, p.proc.returncode)
                    stopping, status = True, 1
            time.sleep(0.5)
    finally:
        for p in reversed(procs):
            p.stop()
    return status


if __name__ == "__main__":
    raise SystemExit(main())
