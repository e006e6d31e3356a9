"""`python -m device_agent --config FILE`: run one gateway until SIGTERM/SIGINT.

SIGUSR1 stops taking readings and keeps delivering the outbox (before a planned
shutdown, and for tests that count what was delivered). Exit codes: 0 stopped on request, 2 bad configuration, 3 fatal broker refusal
(bad credentials or not authorised: retrying would never help).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from types import FrameType

from device_agent.config import ConfigError, load_config
from device_agent.reactor import Reactor
from device_agent.runtime_builder import build_runtime

EXIT_CONFIG = 2
EXIT_FATAL = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m device_agent", description=__doc__)
    parser.add_argument("--config", required=True, type=Path, help="agent TOML file")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    logging.basicConfig(
        level=cfg.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        store, runtime = build_runtime(cfg)
    except (OSError, ValueError) as exc:
        print(f"config error: {exc}".replace("\n", " "), file=sys.stderr)
        return EXIT_CONFIG
    reactor = Reactor(store, [runtime])

    def on_signal(signum: int, frame: FrameType | None) -> None:
        reactor.request_stop()

    def on_quiesce(signum: int, frame: FrameType | None) -> None:
        reactor.request_quiesce()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGUSR1, on_quiesce)
    logging.getLogger("device_agent").info(
        "agent %s starting, session %d", cfg.gateway_id, runtime.session
    )
    reactor.run()
    store.close()
    if runtime.fatal:
        print(f"fatal: {runtime.fatal}", file=sys.stderr)
        return EXIT_FATAL
    logging.getLogger("device_agent").info("agent %s stopped", cfg.gateway_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
