from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_load_without_environment(tmp_path: Path) -> None:
    settings = load_settings(env={"DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'aed.sqlite3'}"
    assert settings.mqtt_url == "mqtt://127.0.0.1:1883"
    assert settings.readiness.expiry_attention_days == 30


def test_environment_overrides_defaults() -> None:
    settings = load_settings(env={"MQTT_URL": "mqtt://broker.local:1884",
                                  "READINESS_BATTERY_LOW_PCT": "25"})
    assert settings.mqtt_url == "mqtt://broker.local:1884"
    assert settings.readiness.battery_low_pct == 25


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"MQTT_URL": "http://broker"}, "MQTT_URL"),
        ({"MQTT_URL": "mqtt://host:notaport"}, "MQTT_URL"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"DEFAULT_LOCALE": "fr"}, "DEFAULT_LOCALE"),
        ({"READINESS_BATTERY_LOW_PCT": "lots"}, "READINESS_BATTERY_LOW_PCT"),
        ({"READINESS_TEMP_MIN_C": "60"}, "READINESS_TEMP_MIN_C"),
        ({"READINESS_OFFLINE_GRACE_S": "-5"}, "READINESS_OFFLINE_GRACE_S"),
    ],
)
def test_bad_setting_names_itself(env: dict[str, str], setting: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env=env)
    assert info.value.setting == setting
    assert str(info.value).startswith(f"{setting}: ")


def test_temperatures_alone_may_be_below_zero() -> None:
    settings = load_settings(env={"READINESS_TEMP_MIN_C": "-10", "READINESS_TEMP_MAX_C": "-2"})
    assert (settings.readiness.temp_min_c, settings.readiness.temp_max_c) == (-10.0, -2.0)


def test_bad_setting_raises_from_code() -> None:
    with pytest.raises(ConfigError):
        create_app({"MQTT_URL": "ftp://nope"})


def test_bad_setting_on_command_line_is_one_line_and_nonzero(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "DATABASE_URL": "oracle://db"}
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "routes"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("configuration error: DATABASE_URL: unsupported database")


def test_mqtt_url_gives_endpoint_and_decoded_credentials() -> None:
    from app.config import MqttUrl

    secure = MqttUrl.parse("mqtts://gw%2D1:p%40ss%2Fw@broker.local")
    assert (secure.host, secure.port, secure.tls) == ("broker.local", 8883, True)
    assert (secure.username, secure.password) == ("gw-1", "p@ss/w")
    plain = MqttUrl.parse("mqtt://127.0.0.1:18830")
    assert (plain.port, plain.tls, plain.username, plain.password) == (18830, False, None, None)
