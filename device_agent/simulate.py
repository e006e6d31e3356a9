"""Fleet simulator: many simulated gateways in one process, each a real MQTT client with
its own client id, session and outbox.

    python -m device_agent.simulate --broker mqtt://127.0.0.1:1883 --gateways 1000 \\
        --devices-per-gateway 2 --interval 1 --duration 60

Gateways are spread over a few reactor threads (default 1) that multiplex all sockets
with a selector; all outboxes share one SQLite file keyed by gateway id. SIGUSR1 stops
taking readings and keeps delivering the outboxes; SIGTERM/SIGINT stop.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import resource
import signal
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from device_agent.drivers import build_driver
from device_agent.end_to_end import Delivery, DeliveryMode
from device_agent.gateway import Device, GatewayRuntime, Intervals
from device_agent.link import LinkSettings
from device_agent.outbox import OutboxStore
from device_agent.protocol import DEFAULT_ROOT, Thresholds, is_valid_id
from device_agent.protocol.broker import BrokerEndpoint
from device_agent.reactor import Reactor

log = logging.getLogger("device_agent.simulate")


@dataclass(frozen=True)
class Credentials:
    username: str | None
    password: str | None


def parse_broker(url: str) -> tuple[str, int, bool]:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError(f"broker must look like mqtt://HOST:PORT, got {url!r}")
    tls = parts.scheme == "mqtts"
    return parts.hostname, parts.port or (8883 if tls else 1883), tls


def fleet_layout(
    gateways: int, devices_per_gateway: int, gateway_ids: str | None
) -> dict[str, list[str]]:
    """gateway id -> device ids, from explicit ids (list or JSON file) or generated."""
    default_devices = [f"aed-{i:02d}" for i in range(1, devices_per_gateway + 1)]
    layout: dict[str, list[str]]
    if gateway_ids is None:
        layout = {f"sim-gw-{i:04d}": list(default_devices) for i in range(1, gateways + 1)}
    elif Path(gateway_ids).is_file():
        data = json.loads(Path(gateway_ids).read_text())
        if isinstance(data, list):
            layout = {str(g): list(default_devices) for g in data}
        else:
            layout = {str(g): [str(d) for d in devs] for g, devs in data.items()}
    else:
        layout = {g.strip(): list(default_devices) for g in gateway_ids.split(",") if g.strip()}
    bad = [i for g, devs in layout.items() for i in [g, *devs] if not is_valid_id(i)]
    if bad:
        raise ValueError(f"invalid ids: {', '.join(bad[:5])}")
    if not layout:
        raise ValueError("no gateways")
    return layout


def load_credentials(path: Path | None) -> dict[str, Credentials] | Credentials:
    """A JSON file: {"username": u, "password": p} for all, or {gateway: {...}} each."""
    if path is None:
        return Credentials(None, None)
    data = json.loads(path.read_text())
    if "username" in data or "password" in data:
        return Credentials(data.get("username"), data.get("password"))
    return {g: Credentials(v.get("username"), v.get("password")) for g, v in data.items()}


def build_runtimes(
    store: OutboxStore,
    layout: dict[str, list[str]],
    args: argparse.Namespace,
    host: str,
    port: int,
    tls: bool,
    creds: dict[str, Credentials] | Credentials,
) -> list[GatewayRuntime]:
    out = []
    rng = random.Random(args.seed)
    for gw, device_ids in layout.items():
        cred = creds if isinstance(creds, Credentials) else creds.get(gw, Credentials(None, None))
        devices = [
            Device(
                dev,
                [
                    build_driver(
                        "simulated",
                        dev,
                        {
                            "seed": zlib.crc32(f"{args.seed}/{gw}/{dev}".encode()),
                            "fault_rate": args.faults,
                            "fault_duration_s": max(5.0, 10 * args.interval),
                        },
                    )
                ],
            )
            for dev in device_ids
        ]
        link = LinkSettings(
            broker=BrokerEndpoint(host, port, tls=tls, username=cred.username,
                                  password=cred.password),
            client_id=f"aed-sim-{gw}",
            max_inflight=args.max_inflight,
            reconnect_min_s=0.5,
            reconnect_max_s=10.0,
            keepalive_s=60,
        )
        journal: Path | None = args.journal_dir
        rt = GatewayRuntime(
            gateway_id=gw,
            outbox=store.outbox(gw, args.outbox_max),
            devices=devices,
            link=link,
            intervals=Intervals(args.interval, args.interval, args.heartbeat),
            thresholds=Thresholds(),
            root=args.root,
            delivery=Delivery(DeliveryMode(args.delivery), args.ack_timeout,
                              max(args.ack_timeout, args.ack_timeout_max)),
            observed_log=journal / f"{gw}.observed" if journal else None,
            delivery_log=journal / f"{gw}.delivery" if journal else None,
        )
        # Spread gateways over the interval so the fleet does not tick in lockstep.
        phase = rng.uniform(0, args.interval)
        rt.next_poll += phase
        rt.next_heartbeat += rng.uniform(0, args.heartbeat)
        rt.connection.next_connect_at += rng.uniform(0, min(2.0, args.interval))
        out.append(rt)
    return out


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m device_agent.simulate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--broker", default="mqtt://127.0.0.1:1883")
    p.add_argument("--gateways", type=int, default=10)
    p.add_argument("--devices-per-gateway", type=int, default=2)
    p.add_argument("--interval", type=float, default=60.0, help="telemetry period (s)")
    p.add_argument("--heartbeat", type=float, default=60.0, help="heartbeat period (s)")
    p.add_argument("--duration", type=float, default=None, help="stop after S seconds")
    p.add_argument("--faults", type=float, default=0.0, help="fault chance per device read")
    p.add_argument("--credentials", type=Path, default=None, help="JSON credentials file")
    p.add_argument("--gateway-ids", default=None, help="a,b,c or a JSON file")
    p.add_argument("--state-dir", type=Path, default=Path("sim-state"))
    p.add_argument("--threads", type=int, default=1, help="reactor threads")
    p.add_argument("--max-inflight", type=int, default=100)
    p.add_argument("--outbox-max", type=int, default=10_000)
    p.add_argument("--root", default=DEFAULT_ROOT)
    p.add_argument("--delivery", choices=[m.value for m in DeliveryMode],
                   default=DeliveryMode.END_TO_END.value,
                   help="delete outbox rows on the server's ack (default) or on PUBACK")
    p.add_argument("--ack-timeout", type=float, default=60.0,
                   help="resend what was PUBACKed but not acknowledged after S seconds")
    p.add_argument("--ack-timeout-max", type=float, default=3600.0,
                   help="each resend doubles the wait, up to S seconds")
    p.add_argument("--journal-dir", type=Path, default=None,
                   help="write DIR/{gw}.observed (stored msg_ids) and DIR/{gw}.delivery "
                        "(puback / acked lines) for each gateway")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--log-level", default="INFO")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        host, port, tls = parse_broker(args.broker)
        layout = fleet_layout(args.gateways, args.devices_per_gateway, args.gateway_ids)
        creds = load_credentials(args.credentials)
    except (ValueError, OSError) as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2
    if args.ack_timeout <= 0:
        print("simulate: --ack-timeout must be positive", file=sys.stderr)
        return 2
    raise_fd_limit()
    if args.journal_dir is not None:
        args.journal_dir.mkdir(parents=True, exist_ok=True)
    db = args.state_dir / "simulator.sqlite3"
    gateways = list(layout)
    threads = max(1, min(args.threads, len(gateways)))
    reactors: list[Reactor] = []
    stores: list[OutboxStore] = []
    for t in range(threads):
        store = OutboxStore(db, synchronous="NORMAL")
        part = {g: layout[g] for g in gateways[t::threads]}
        reactors.append(Reactor(store, build_runtimes(store, part, args, host, port, tls, creds)))
        stores.append(store)

    def stop(signum: int | None = None, frame: FrameType | None = None) -> None:
        for r in reactors:
            r.request_stop()

    def quiesce(signum: int | None = None, frame: FrameType | None = None) -> None:
        for r in reactors:
            r.request_quiesce()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGUSR1, quiesce)
    workers = [
        threading.Thread(target=r.run, name=f"reactor-{i}", daemon=True)
        for i, r in enumerate(reactors)
    ]
    started = time.monotonic()
    log.info("simulating %d gateways on %d thread(s) against %s", len(layout), threads, args.broker)
    for w in workers:
        w.start()
    deadline = started + args.duration if args.duration else None
    while any(w.is_alive() for w in workers):
        if deadline is not None and time.monotonic() >= deadline:
            stop()
            deadline = None
        for w in workers:
            w.join(0.2)
    runtimes = [rt for r in reactors for rt in r.runtimes]
    summary = {
        "gateways": len(runtimes),
        "stored": sum(rt.stored_count for rt in runtimes),
        "acked": sum(rt.acked_count for rt in runtimes),
        "pubacked": sum(rt.pubacked_count for rt in runtimes),
        "resent": sum(rt.window.resent for rt in runtimes),
        "pending": sum(rt.outbox.depth for rt in runtimes),
        "fatal": sum(1 for rt in runtimes if rt.fatal),
        "seconds": round(time.monotonic() - started, 2),
    }
    for store in stores:
        store.close()
    print(json.dumps(summary), flush=True)
    return 1 if summary["fatal"] else 0


if __name__ == "__main__":
    sys.exit(main())
