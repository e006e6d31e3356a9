"""The agent over TLS: it verifies the broker against the configured CA."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.agent.conftest import agent_config
from tests.support.mosquitto import PROJECT_CONF, MosquittoBroker
from tests.support.wait import wait_for

pytestmark = pytest.mark.mqtt


def make_certs(d: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make test certificates")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=aed-test-ca",
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    )
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    )
    (d / "server.key").chmod(0o644)


def test_agent_connects_over_tls(tmp_path: Path, agents: Any, recorders: Any) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    make_certs(certs)
    # The project's config plus a TLS listener, as the hardening step will add it.
    conf = tmp_path / "tls.conf"
    conf.write_text(
        PROJECT_CONF.read_text()
        + f"\nlistener 8883 127.0.0.1\ncafile {certs}/ca.crt\ncertfile {certs}/server.crt\n"
        f"keyfile {certs}/server.key\n"
    )
    with MosquittoBroker(tmp_path / "broker", conf_source=conf) as broker:
        tls_port = broker.ports[8883]
        rec = recorders(broker)  # plain listener, to watch
        cfg = agent_config(tmp_path, tls_port)
        cfg["mqtt"]["tls"] = {"ca_file": str(certs / "ca.crt")}
        agent = agents(cfg).start()
        rec.wait_for("gw/gw-test-1/state", lambda p: p["state"] == "online")
        rec.wait_for("heartbeat", lambda p: p["session"] >= 1)
        assert agent.terminate() == 0

        # A CA that did not sign the broker's certificate: no connection, ever.
        other = tmp_path / "other"
        other.mkdir()
        make_certs(other)
        cfg["mqtt"]["tls"] = {"ca_file": str(other / "ca.crt")}
        cfg["state_dir"] = str(tmp_path / "state2")
        cfg["gateway_id"] = "gw-test-2"
        bad = agents(cfg, name="bad").start()
        wait_for(
            lambda: "certificate verify failed" in bad.log(), 15, message=lambda: bad.log()[-500:]
        )
        assert not rec.payloads("gw/gw-test-2/state")
