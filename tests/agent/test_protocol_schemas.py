"""The committed JSON Schemas are what the models generate."""

from __future__ import annotations

import json

from device_agent.protocol.schema_export import SCHEMA_DIR, generated_schemas


def test_committed_schemas_are_current() -> None:
    wanted = generated_schemas()
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == sorted(wanted)
    for name, text in wanted.items():
        assert (SCHEMA_DIR / name).read_text() == text, (
            f"{name} is stale: run python -m device_agent.protocol.schema_export"
        )


def test_schemas_describe_the_envelope() -> None:
    telemetry = json.loads((SCHEMA_DIR / "telemetry.json").read_text())
    for field in ("v", "msg_id", "session", "seq", "ts", "replay"):
        assert field in telemetry["required"]
    assert telemetry["properties"]["battery_pct"]["anyOf"][0]["maximum"] == 100
