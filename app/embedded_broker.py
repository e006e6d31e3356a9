"""The device path of `make run`: a broker, ingest and simulated demo gateways.

Broker choice, said clearly in the log:
1. a broker already answering at MQTT_URL is used as it is;
2. else Mosquitto, when installed, from config/mosquitto.conf (listener moved to
   MQTT_URL's port, persistence in DATA_DIR/mosquitto);
3. else an amqtt broker (pure Python) in a child process: `python -m app.embedded_broker`.

amqtt has no shared subscriptions, so ingest then subscribes without `$share/`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import logging
import os
import shutil
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from app.config import PROJECT_ROOT, Settings
from app.demo import yangpu

log = logging.getLogger("aed.run")
MOSQUITTO_CONF = PROJECT_ROOT / "config" / "mosquitto.conf"
# The demo keeps this gateway silent, so the map shows what "unknown" looks like.
SILENT_DEMO_GATEWAY = "gw-yp-006"
DEMO_DEVICE = "cab-1"


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def broker_address(mqtt_url: str) -> tuple[str, int]:
    parsed = urlparse(mqtt_url)
    return parsed.hostname or "127.0.0.1", parsed.port or 1883


def broker_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None


def mosquitto_config(source: str, host: str, port: int, state_dir: Path) -> str:
    """The project's config with this machine's listener, persistence and log."""
    out: list[str] = []
    for raw in source.splitlines():
        words = raw.split()
        key = words[0] if words and not words[0].startswith("#") else ""
        if key == "listener":
            out.append(f"listener {port} {host}")
        elif key in {"port", "persistence_location", "pid_file", "log_dest", "user"}:
            continue
        elif words == ["log_type", "notice"]:
            continue  # a line per connection would drown the other processes' output
        else:
            out.append(raw)
    out.append(f"persistence_location {state_dir}/")
    out.append("log_dest stderr")
    # As root Mosquitto would switch to user "mosquitto", who cannot write DATA_DIR.
    out.append(f"user {getpass.getuser()}")
    return "\n".join(out) + "\n"


def demo_gateways() -> dict[str, list[str]]:
    return {
        aed.gateway: [DEMO_DEVICE]
        for site in yangpu.SITES
        for aed in site.aeds
        if aed.gateway and aed.gateway != SILENT_DEMO_GATEWAY
    }


def device_path(settings: Settings) -> list[ProcessSpec]:
    """Broker (unless one answers), ingest and the simulated demo fleet."""
    py = sys.executable
    host, port = broker_address(settings.mqtt_url)
    specs: list[ProcessSpec] = []
    shared = True
    if broker_answers(host, port):
        log.info("broker: using the MQTT broker already answering at %s:%d", host, port)
    elif (binary := mosquitto_binary()) is not None:
        state = settings.data_dir / "mosquitto"
        state.mkdir(parents=True, exist_ok=True)
        conf = state / "mosquitto.conf"
        conf.write_text(mosquitto_config(MOSQUITTO_CONF.read_text(), host, port, state))
        log.info("broker: starting Mosquitto (%s) on %s:%d, state in %s", binary, host, port,
                 state)
        specs.append(ProcessSpec("mosquitto", [binary, "-c", str(conf)]))
    else:
        log.warning("broker: Mosquitto is not installed; starting the in-process Python "
                    "broker (amqtt) on %s:%d - fine for a demo, use Mosquitto in production",
                    host, port)
        specs.append(ProcessSpec("amqtt-broker", [py, "-m", "app.embedded_broker",
                                                  "--host", host, "--port", str(port)]))
        shared = False
    ingest = [py, "-m", "flask", "--app", "app", "ingest", "--client-id", "aed-ingest-embedded"]
    if not shared:
        ingest.append("--no-shared")
    specs.append(ProcessSpec("ingest", ingest))
    layout = settings.data_dir / "demo-gateways.json"
    layout.parent.mkdir(parents=True, exist_ok=True)
    layout.write_text(json.dumps(demo_gateways(), indent=1))
    specs.append(ProcessSpec("gateways", [
        py, "-m", "device_agent.simulate", "--broker", f"mqtt://{host}:{port}",
        "--gateway-ids", str(layout), "--interval", "20", "--heartbeat", "30",
        "--state-dir", str(settings.data_dir / "sim-state"), "--log-level", "WARNING",
    ]))
    return specs


async def serve_amqtt(host: str, port: int) -> None:
    from amqtt.broker import Broker

    broker = Broker({
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {
            "allow_anonymous": True}},
    })
    await broker.start()
    try:
        await asyncio.Event().wait()
    finally:
        await broker.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the amqtt broker (embedded fallback).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve_amqtt(args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
