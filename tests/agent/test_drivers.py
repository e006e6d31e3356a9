"""Driver unit tests with fake sysfs files."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from device_agent.drivers import build_driver, driver_class
from device_agent.drivers.w1_temperature import parse_w1_slave
from device_agent.protocol import DeviceSettings

W1_OK = "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n"


def test_w1_parsing() -> None:
    assert parse_w1_slave(W1_OK) == 23.125
    assert parse_w1_slave(W1_OK.replace("t=23125", "t=-1500")) == -1.5
    with pytest.raises(ValueError, match="CRC"):
        parse_w1_slave(W1_OK.replace("YES", "NO"))
    with pytest.raises(ValueError, match="power-on"):
        parse_w1_slave(W1_OK.replace("t=23125", "t=85000"))
    with pytest.raises(ValueError):
        parse_w1_slave("")


def test_w1_driver_reads_file(tmp_path: Path) -> None:
    f = tmp_path / "w1_slave"
    f.write_text(W1_OK)
    driver = build_driver("w1_temperature", "aed-01", {"device_file": str(f)})
    assert driver.read(0) == {"temp_c": 23.125}


def test_gpio_door(tmp_path: Path) -> None:
    value = tmp_path / "value"
    driver = build_driver("gpio_door", "aed-01", {"value_file": str(value)})
    value.write_text("1\n")
    assert driver.read(0) == {"door": "closed"}
    value.write_text("0\n")
    assert driver.read(0) == {"door": "open"}
    value.write_text("x")
    with pytest.raises(ValueError):
        driver.read(0)
    inverted = build_driver("gpio_door", "aed-01", {"value_file": str(value), "open_when": 1})
    value.write_text("1")
    assert inverted.read(0) == {"door": "open"}
    with pytest.raises(ValueError):
        build_driver("gpio_door", "aed-01", {})


def test_status_file_and_command(tmp_path: Path) -> None:
    f = tmp_path / "status"
    driver = build_driver("status_file", "aed-01", {"path": str(f)})
    for text, result in [("READY\n", "pass"), ("fault", "fail"), ("blinking", "unknown")]:
        f.write_text(text)
        assert driver.read(0) == {"self_test": result}
    cmd = build_driver("status_file", "aed-01", {"command": [sys.executable, "-c", "print('ok')"]})
    assert cmd.read(0) == {"self_test": "pass"}
    with pytest.raises(ValidationError):
        build_driver("status_file", "aed-01", {})


def test_static_takes_config_sync_updates() -> None:
    driver = build_driver("static", "aed-01", {"pad_expiry": "2027-05-01"})
    assert driver.read(0) == {"pad_expiry": date(2027, 5, 1)}
    driver.apply_settings(DeviceSettings(battery_expiry=date(2029, 1, 1)))
    assert driver.read(0) == {"pad_expiry": date(2027, 5, 1), "battery_expiry": date(2029, 1, 1)}


def test_simulated_scripted_faults() -> None:
    driver = build_driver(
        "simulated",
        "aed-01",
        {
            "seed": 1,
            "faults": [
                {"fault": "door_open", "at_s": 10, "duration_s": 5},
                {"fault": "aed_removed", "at_s": 12},
                {"fault": "self_test_fail", "at_s": 20, "duration_s": 1},
                {"fault": "temp_excursion", "at_s": 30, "duration_s": 100},
                {"fault": "power_loss", "at_s": 40, "duration_s": 1},
            ],
        },
    )
    start = driver.read(1000.0)
    assert start["door"] == "closed" and start["aed_present"] is True
    assert driver.read(1011.0)["door"] == "open"
    later = driver.read(1013.0)
    assert later["aed_present"] is False and later["door"] == "open"
    assert driver.read(1016.0)["door"] == "closed"
    assert driver.read(1020.5)["self_test"] == "fail"
    assert driver.read(1022.0)["self_test"] == "pass"
    temps = [driver.read(1030.0 + i)["temp_c"] for i in range(30)]
    assert temps[-1] > 60
    assert driver.read(1040.5)["power"] is False


def test_simulated_battery_drain() -> None:
    driver = build_driver(
        "simulated", "aed-01", {"seed": 2, "faults": [{"fault": "battery_drain", "at_s": 0}]}
    )
    levels = [driver.read(float(i))["battery_pct"] for i in range(200)]
    assert levels[0] > 90 and levels[-1] < 10
    assert all(0 <= b <= 100 for b in levels)


def test_unknown_driver() -> None:
    with pytest.raises(ValueError, match="known: gpio_door"):
        driver_class("teleporter")
