"""Docs generated from the models stay in step with them."""

from __future__ import annotations

from device_agent.config_reference import BEGIN, END, reference, replace_section
from tests.agent.conftest import REPO


def test_agent_doc_reference_is_current() -> None:
    text = (REPO / "docs" / "agent.md").read_text()
    assert BEGIN in text and END in text
    assert replace_section(text, reference()) == text, (
        "docs/agent.md is stale: python -m device_agent.config_reference --write docs/agent.md"
    )


def test_reference_lists_every_driver_and_key() -> None:
    ref = reference()
    for needle in (
        "`mqtt.port`",
        "`mqtt.tls.ca_file`",
        "`outbox.max_messages`",
        "driver `gpio_door`",
        "driver `w1_temperature`",
        "driver `static`",
        "driver `status_file`",
        "driver `simulated`",
        "`options.device_file`",
    ):
        assert needle in ref


def test_protocol_doc_shows_every_message() -> None:
    text = (REPO / "docs" / "protocol.md").read_text()
    for kind in (
        "### state",
        "### heartbeat",
        "### telemetry",
        "### event",
        "### config",
        "door_opened",
        "power_restored",
        "tamper",
        "config_error",
        "evicted",
    ):
        assert kind in text


def test_protocol_doc_examples_decode() -> None:
    import re

    from device_agent.protocol import decode

    text = (REPO / "docs" / "protocol.md").read_text()
    topics = {
        "state": "aed/v1/gw/gw-yp-001/state",
        "heartbeat": "aed/v1/gw/gw-yp-001/heartbeat",
        "telemetry": "aed/v1/gw/gw-yp-001/dev/aed-01/telemetry",
        "event": "aed/v1/gw/gw-yp-001/dev/aed-01/event",
        "config": "aed/v1/gw/gw-yp-001/config",
    }
    seen = set()
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        kind = section.split()[0]
        block = re.search(r"```json\n(.*?)```", section, flags=re.S)
        if kind in topics and block:
            decode(topics[kind], block.group(1).encode())
            seen.add(kind)
    assert seen == set(topics)
