"""Agent footprint at a 60 s report interval: resident memory and idle CPU.

    python -m tests.benchmarks.agent_footprint [--quick]

value = agent RSS in MB after start-up settles; baseline = RSS of a bare paho client
process (connected, idle) measured in the same run; ratio = value / baseline (smaller is
better). idle_cpu_pct (also in the JSON) = agent CPU time / wall time over the window,
against the bare client's. Target: RSS <= 40 MB and idle CPU <= 1 %.
Full run: 120 s window; --quick: 20 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tests.benchmarks.agent_support import broker, result, start_agent, write_agent_config

BARE_CLIENT = """
import sys, time
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
c = mqtt.Client(CallbackAPIVersion.VERSION2)
c.connect("127.0.0.1", int(sys.argv[1]), 60)
c.loop_start()
while True:
    time.sleep(60)
"""


def measure(proc: subprocess.Popen[bytes], window: float) -> tuple[float, float]:
    p = psutil.Process(proc.pid)
    t0 = p.cpu_times()
    wall0 = time.monotonic()
    time.sleep(window)  # measuring a window, not waiting for a condition
    t1 = p.cpu_times()
    cpu = max(0.0, (t1.user + t1.system - t0.user - t0.system) / (time.monotonic() - wall0) * 100)
    return p.memory_info().rss / 2**20, cpu


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    window = 20.0 if ap.parse_args().quick else 120.0
    with broker() as b, tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "agent.toml"
        write_agent_config(
            cfg,
            Path(tmp) / "state",
            b.port,
            poll_interval_s=5.0,
            report_interval_s=60.0,
            heartbeat_interval_s=60.0,
        )
        agent = start_agent(cfg, Path(tmp) / "agent.log")
        bare = subprocess.Popen([sys.executable, "-c", BARE_CLIENT, str(b.port)])
        try:
            time.sleep(3)  # let start-up (imports, first connect, first report) finish
            agent_rss, agent_cpu = measure(agent, window)
            bare_rss, bare_cpu = psutil.Process(bare.pid).memory_info().rss / 2**20, 0.0
            _, bare_cpu = measure(bare, min(window, 10.0))
        finally:
            for proc in (agent, bare):
                proc.terminate()
                proc.wait(15)
    print(f"agent: RSS {agent_rss:.1f} MB, idle CPU {agent_cpu:.3f} %")
    print(f"bare paho client: RSS {bare_rss:.1f} MB, idle CPU {bare_cpu:.3f} %")
    result(
        "agent_footprint",
        agent_rss,
        "MB RSS (smaller is better)",
        bare_rss,
        agent_rss / bare_rss,
        "RSS <= 40 MB and idle CPU <= 1 %",
        agent_rss <= 40 and agent_cpu <= 1.0,
        idle_cpu_pct=round(agent_cpu, 3),
        baseline_idle_cpu_pct=round(bare_cpu, 3),
        window_s=window,
    )


if __name__ == "__main__":
    main()
