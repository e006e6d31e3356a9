"""The device path of `make run`: a broker, ingest and simulated demo gateways.

Broker choice, said clearly in the log:
1. a broker already answering at MQTT_URL is used as it is;
2. else Mosquitto, when installed, from config/mosquitto.conf (listener moved to
   MQTT_URL's port, persistence in DATA_DIR/mosquitto);
3. else an amqtt broker (pure Python) in a child process: `python -m app.embedded_broker`.

amqtt has no shared subscriptions, so ingest then subscribes without `$share/`.

Mosquitto runs secured as in production (docs/security.md): on first start a
dynamic-security file is written to DATA_DIR/mosquitto with an admin account, the server
account (ingest, config push) and one account per simulated demo gateway; the account
URLs and the simulator's credentials sit beside it (0600) and are reused on later runs.
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
from app.gateways import dynsec
from app.gateways.broker_admin import ACCOUNTS_FILE, BrokerAccounts
from app.gateways.broker_bootstrap import write_bootstrap, write_secret

log = logging.getLogger("aed.run")
MOSQUITTO_CONF = PROJECT_ROOT / "config" / "mosquitto.conf"
# The demo keeps this gateway silent, so the map shows what "unknown" looks like.
SILENT_DEMO_GATEWAY = "gw-yp-006"
DEMO_DEVICE = "cab-1"
DYNSEC_FILE = "dynamic-security.json"
SIM_CREDENTIALS_FILE = "simulator-credentials.json"


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


def _without_tls_listeners(source: str) -> str:
    # The demo has no certificates; its one plain listener is on 127.0.0.1 only.
    blocks: list[list[str]] = [[]]
    for raw in source.splitlines():
        if raw.split()[:1] == ["listener"]:
            blocks.append([])
        blocks[-1].append(raw)
    kept = [blocks[0]] + [b for b in blocks[1:]
                          if not any(line.split()[:1] == ["certfile"] for line in b)]
    return "\n".join(line for block in kept for line in block)


def mosquitto_config(source: str, host: str, port: int, state_dir: Path) -> str:
    """The project's config with this machine's listener, persistence, log and accounts."""
    out: list[str] = []
    for raw in _without_tls_listeners(source).splitlines():
        words = raw.split()
        key = words[0] if words and not words[0].startswith("#") else ""
        if key == "listener":
            out.append(f"listener {port} {host}")
        elif key == "plugin_opt_config_file":
            out.append(f"plugin_opt_config_file {state_dir / DYNSEC_FILE}")
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
    ingest_env: dict[str, str] = {}
    sim_credentials: Path | None = None
    if broker_answers(host, port):
        log.info("broker: using the MQTT broker already answering at %s:%d", host, port)
    elif (binary := mosquitto_binary()) is not None:
        state = settings.data_dir / "mosquitto"
        state.mkdir(parents=True, exist_ok=True)
        conf = state / "mosquitto.conf"
        conf.write_text(mosquitto_config(MOSQUITTO_CONF.read_text(), host, port, state))
        accounts, sim_credentials = demo_accounts(state, host, port, settings.mqtt_topic_root)
        log.info("broker: starting Mosquitto (%s) on %s:%d, secured (dynamic security), "
                 "state in %s", binary, host, port, state)
        specs.append(ProcessSpec("mosquitto", [binary, "-c", str(conf)]))
        ingest_env = {"MQTT_URL": accounts.ingest_url}
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
    specs.append(ProcessSpec("ingest", ingest, ingest_env))
    layout = settings.data_dir / "demo-gateways.json"
    layout.parent.mkdir(parents=True, exist_ok=True)
    layout.write_text(json.dumps(demo_gateways(), indent=1))
    specs.append(ProcessSpec("gateways", [
        py, "-m", "device_agent.simulate", "--broker", f"mqtt://{host}:{port}",
        "--gateway-ids", str(layout), "--interval", "20", "--heartbeat", "30",
        "--state-dir", str(settings.data_dir / "sim-state"), "--log-level", "WARNING",
        *(["--credentials", str(sim_credentials)] if sim_credentials else []),
    ]))
    return specs


def demo_accounts(
    state: Path, host: str, port: int, topic_root: str
) -> tuple[BrokerAccounts, Path]:
    """The broker's accounts for the demo, made on first start and reused after."""
    dynsec_file = state / DYNSEC_FILE
    accounts_file = state / ACCOUNTS_FILE
    sim_file = state / SIM_CREDENTIALS_FILE
    if dynsec_file.exists() and accounts_file.exists() and sim_file.exists():
        # Written by an older version: give its roles the ack topic (broker not running).
        document = json.loads(dynsec_file.read_text())
        if dynsec.upgrade_document(document, topic_root):
            write_secret(dynsec_file, json.dumps(document, indent=1))
        return BrokerAccounts.load(accounts_file), sim_file
    gateways = [
        dynsec.GatewayAccount(dynsec.Account.generate(gw), f"aed-sim-{gw}")
        for gw in demo_gateways()
    ]
    accounts = write_bootstrap(dynsec_file, accounts_file, host, port, topic_root, gateways)
    write_secret(sim_file, json.dumps({
        g.account.username: {"username": g.account.username, "password": g.account.password}
        for g in gateways
    }, indent=1))
    log.info("broker: wrote new accounts (admin, server, %d demo gateways) to %s",
             len(gateways), state)
    return accounts, sim_file


def server_env(settings: Settings) -> dict[str, str]:
    """MQTT_URL with the server account, for web and scheduler (config push)."""
    accounts_file = settings.data_dir / "mosquitto" / ACCOUNTS_FILE
    if not accounts_file.exists():
        return {}
    return {"MQTT_URL": BrokerAccounts.load(accounts_file).ingest_url}


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
