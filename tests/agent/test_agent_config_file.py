"""A bad config file is one line naming the key, exit code 2; bad credentials are fatal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.agent.conftest import REPO, agent_config, to_toml
from tests.support.mosquitto import MosquittoBroker

EXAMPLE = REPO / "config" / "agent.example.toml"


def run_agent(config: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "device_agent", "--config", str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda c: c["mqtt"].update(port="eighteen"),
            "config error: mqtt.port: Input should be a valid integer",
        ),
        (lambda c: c.pop("gateway_id"), "config error: gateway_id: Field required"),
        (lambda c: c.update(gateway_id="bad id!"), "config error: gateway_id: String should"),
        (
            lambda c: c["devices"][0].update(driver="nope"),
            "config error: devices.0.driver: Value error, unknown driver 'nope'",
        ),
        (
            lambda c: c["devices"][0]["options"].update(colour="red"),
            "config error: devices.0.options.colour: Extra inputs are not permitted",
        ),
        (
            lambda c: c["devices"][0].update(driver="gpio_door", options={"open_when": 1}),
            "config error: devices.0.options: Value error, gpio_door needs value_file, or chip",
        ),
        (lambda c: c.update(report_interval_s=-1), "config error: report_interval_s:"),
        (lambda c: c["mqtt"].update(hots="x"), "config error: mqtt.hots: Extra inputs"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, mutate: Any, expected: str) -> None:
    cfg = agent_config(tmp_path, 1883)
    mutate(cfg)
    path = tmp_path / "bad.toml"
    path.write_text(to_toml(cfg))
    done = run_agent(path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(expected), lines[0]


def test_unparseable_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("gateway_id = \n")
    done = run_agent(path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    done = run_agent(tmp_path / "missing.toml")
    assert done.returncode == 2 and "No such file" in done.stderr


def test_example_config_is_valid() -> None:
    from device_agent.config import load_config

    cfg = load_config(EXAMPLE)
    assert cfg.devices, "the example should show devices"


@pytest.mark.mqtt
def test_bad_credentials_are_fatal(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(passwd), "gw-test-1", "right"],
        check=True,
        capture_output=True,
    )
    passwd.chmod(0o644)
    with MosquittoBroker(
        tmp_path / "broker", overrides={"allow_anonymous": "false", "password_file": str(passwd)}
    ) as broker:
        cfg = agent_config(tmp_path, broker.port)
        cfg["mqtt"].update(username="gw-test-1", password="wrong")
        path = tmp_path / "agent.toml"
        path.write_text(to_toml(cfg))
        done = run_agent(path)
        assert done.returncode == 3, done.stderr
        assert "refused credentials" in done.stderr
        assert "not retrying" in done.stderr
        # The right password connects (proves the broker setup, not just any failure).
        cfg["mqtt"].update(password="right")
        path.write_text(to_toml(cfg))
        with subprocess.Popen(
            [sys.executable, "-m", "device_agent", "--config", str(path)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        ) as proc:
            try:
                assert proc.stdout is not None
                for line in proc.stdout:
                    if "connected to" in line:
                        break
                    assert "refused" not in line, line
                else:
                    pytest.fail("agent exited without connecting")
            finally:
                proc.terminate()
                proc.wait(15)
