"""A long-running process moves its start-up heap out of the collector's view."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json
import app.ingest.receiver  # what the receiver process has loaded when it settles
from app.heap import LONG_LIVED_GEN0, settle_long_lived
before = gc.get_freeze_count()
settle_long_lived()
frozen = gc.get_freeze_count()
class Node:
    pass
a, b = Node(), Node()
a.other, b.other = b, a
del a, b
found = gc.collect()
print(json.dumps({"before": before, "frozen": frozen, "threshold": gc.get_threshold(),
                  "gen0": LONG_LIVED_GEN0, "found": found}))
"""


def test_settling_freezes_what_start_up_made_and_still_collects_new_cycles() -> None:
    # In a child process: freezing the test process would keep every later test's
    # garbage out of reach.
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    got = json.loads(out.strip().splitlines()[-1])
    assert got["before"] == 0
    assert got["frozen"] > 10_000  # the imports: modules, classes, functions
    assert got["threshold"][0] == got["gen0"]
    assert got["found"] >= 2  # a cycle made afterwards is still found
