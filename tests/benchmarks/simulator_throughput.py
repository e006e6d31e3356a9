"""Fleet simulator throughput: 1,000 gateways x 2 devices at a 1 s interval (~2,017 msg/s
offered incl. heartbeats), all real MQTT clients in one process.

    python -m tests.benchmarks.simulator_throughput [--quick]

value = messages per second reaching a subscriber in the steady window (after the
connect ramp); baseline = messages per second a single bare paho publisher pushes
through the same broker to the same subscriber (QoS 1 publish, 20,000 messages) in this
run; ratio = value / baseline. Target: >= 2,000 msg/s sustained (>= 98 % of the offered
rate). Also reported: the simulator's CPU use over the window (100 % = one core).
Full run: 120 s; --quick: 30 s.
"""

from __future__ import annotations

import argparse
import bisect
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tests.benchmarks.agent_support import REPO, Counter, bare_publish, broker, result

GATEWAYS = 1000
DEVICES = 2
INTERVAL = 1.0
HEARTBEAT = 60.0
RAMP_S = 8.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    duration = 30.0 if ap.parse_args().quick else 120.0
    offered = GATEWAYS * DEVICES / INTERVAL + GATEWAYS / HEARTBEAT
    with broker() as b, tempfile.TemporaryDirectory() as tmp:
        base_probe = Counter(b, "bench/baseline")
        n = 20_000
        t0 = time.monotonic()
        bare_publish(b, "bench/baseline", b"x" * 230, n, 200)
        base_probe.wait_count(n, 60)
        baseline = n / (base_probe.times[-1] - t0)
        base_probe.close()

        probe = Counter(b, "aed/v1/gw/+/dev/#")
        hb_probe = Counter(b, "aed/v1/gw/+/heartbeat")
        with (Path(tmp) / "sim.log").open("wb") as log:
            sim = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "device_agent.simulate",
                    "--broker",
                    b.url,
                    "--gateways",
                    str(GATEWAYS),
                    "--devices-per-gateway",
                    str(DEVICES),
                    "--interval",
                    str(INTERVAL),
                    "--heartbeat",
                    str(HEARTBEAT),
                    "--duration",
                    str(duration),
                    "--state-dir",
                    str(Path(tmp) / "sim"),
                    "--log-level",
                    "WARNING",
                ],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        start = time.monotonic()
        proc = psutil.Process(sim.pid)
        time.sleep(RAMP_S)  # measuring a window: skip the connect ramp
        cpu0, w0 = proc.cpu_times(), time.monotonic()
        time.sleep(duration - RAMP_S - 2.0)
        cpu1, w1 = proc.cpu_times(), time.monotonic()
        out, _ = sim.communicate(timeout=120)
        summary = json.loads(out.decode().strip().splitlines()[-1])
        sim_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (w1 - w0) * 100
        times = sorted(probe.times + hb_probe.times)
        got = bisect.bisect_left(times, w1) - bisect.bisect_left(times, w0)
        value = got / (w1 - w0)
        probe.close()
        hb_probe.close()
    print(
        json.dumps(
            {
                "simulator": summary,
                "window_s": round(w1 - w0, 1),
                "elapsed_s": round(time.monotonic() - start, 1),
            }
        )
    )
    ok = value >= 2000 and value >= 0.98 * offered and summary["fatal"] == 0
    result(
        "simulator_throughput",
        value,
        "msg/s delivered (bigger is better)",
        baseline,
        value / baseline,
        ">= 2000 msg/s across 1000 gateways",
        ok,
        offered_msg_s=round(offered, 1),
        simulator_cpu_pct=round(sim_cpu, 1),
        gateways=GATEWAYS,
    )


if __name__ == "__main__":
    main()
