"""Small pieces of the agent: events, backoff, callback safety, config loading."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest

from device_agent.backoff import Backoff
from device_agent.config import ConfigError, load_config, parse_config
from device_agent.events import crossed_thresholds, derive_events
from device_agent.link import safe_callback
from device_agent.protocol import EventKind, Thresholds


def test_events_on_changes() -> None:
    assert derive_events({"door": "closed"}, {"door": "open"}) == [EventKind.DOOR_OPENED]
    assert derive_events({"door": "open"}, {"door": "open"}) == []
    assert derive_events({"aed_present": False}, {"aed_present": True}) == [EventKind.AED_RETURNED]
    assert derive_events({"self_test": "pass"}, {"self_test": "fail"}) == [
        EventKind.SELF_TEST_FAILED
    ]
    assert derive_events({"power": True}, {"power": False}) == [EventKind.POWER_LOST]


def test_alarming_state_at_start_is_an_event() -> None:
    assert derive_events({}, {"door": "open", "aed_present": False}) == [
        EventKind.DOOR_OPENED,
        EventKind.AED_REMOVED,
    ]
    assert derive_events({}, {"door": "closed", "self_test": "pass"}) == []


def test_threshold_crossing() -> None:
    limits = Thresholds(temp_min_c=0, temp_max_c=50, battery_low_pct=20)
    assert crossed_thresholds({"temp_c": 20}, {"temp_c": 55}, limits)
    assert not crossed_thresholds({"temp_c": 20}, {"temp_c": 21}, limits)
    assert not crossed_thresholds({"temp_c": 20}, {"temp_c": 50}, limits)  # 50 is in range
    assert crossed_thresholds({"battery_pct": 21}, {"battery_pct": 19}, limits)
    assert not crossed_thresholds({"battery_pct": 21}, {"battery_pct": 20}, limits)
    assert not crossed_thresholds({}, {"battery_pct": 5}, limits)


def test_backoff_grows_caps_and_jitters() -> None:
    b = Backoff(1.0, 8.0, random.Random(3))
    delays = [b.next_delay() for _ in range(8)]
    assert 0.5 <= delays[0] <= 1.0
    assert 2.0 <= delays[2] <= 4.0
    assert all(d <= 8.0 for d in delays) and delays[-1] >= 4.0
    assert len({round(d, 6) for d in delays[4:]}) > 1  # jitter: not lockstep at the cap
    b.reset()
    assert b.next_delay() <= 1.0
    with pytest.raises(ValueError):
        Backoff(2, 1)


def test_safe_callback_swallows_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    @safe_callback
    def explode(x: int) -> int:
        raise RuntimeError(f"boom {x}")

    with caplog.at_level(logging.ERROR, logger="device_agent.link"):
        assert explode(1) is None
    assert "boom 1" in caplog.text


def test_config_file_parsing(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text(
        'gateway_id = "gw-1"\nstate_dir = "/tmp/x"\n[mqtt]\nport = 8883\n'
        '[mqtt.tls]\nca_file = "/etc/ca.crt"\n'
    )
    cfg = load_config(path)
    assert cfg.mqtt.port == 8883 and cfg.mqtt.tls is not None
    with pytest.raises(ConfigError, match=r"^mqtt\.tls: Value error, cert_file and key_file"):
        parse_config({"gateway_id": "g", "state_dir": "/x", "mqtt": {"tls": {"cert_file": "/c"}}})
    with pytest.raises(ConfigError, match=r"^devices\.0\.options\.device_file: Field required"):
        parse_config(
            {
                "gateway_id": "g",
                "state_dir": "/x",
                "devices": [{"id": "d", "driver": "w1_temperature"}],
            }
        )
