"""Start a real Mosquitto for tests and benchmarks, built from config/mosquitto.conf.

    with running_mosquitto(tmp_path) as broker:
        client.connect(broker.host, broker.port)
        broker.kill()        # SIGKILL; only what the last autosave wrote survives
        broker.start()       # same port, same persistence directory

Every `listener` line of the project's config is kept, its port moved to a free one
(the first listener becomes `broker.port`; `broker.ports` maps original -> test port),
bound to 127.0.0.1. `overrides` replaces or appends single-valued options, e.g.
`{"password_file": str(path)}`; `extra_lines` are appended verbatim.

Open and secure mode. The project's config is secure (no anonymous clients, the
dynamic-security plugin, a TLS listener). By default the test broker runs it "open":
the auth plugin and password/ACL files are dropped and `allow_anonymous true` is set, so
functional tests connect anonymously. `secure=True` keeps the real authentication: a
fresh dynamic-security file with an admin and an ingest account is written into the
work directory (`broker.admin`, `broker.ingest` hold their credentials).
TLS listeners: with `tls=TlsFiles(...)` their cafile/certfile/keyfile point at the given
files; without it, a TLS listener whose certificate file does not exist on this machine
is left out (tests make their own throwaway CA).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_CONF = REPO_ROOT / "config" / "mosquitto.conf"
# Options that belong to the machine the broker runs on, replaced for a test run.
_MACHINE_OPTIONS = ("persistence_location", "pid_file", "log_dest", "user")
# Options that switch authentication on; open (test) mode leaves them out.
_AUTH_OPTIONS = ("plugin", "password_file", "acl_file", "auth_plugin")
_TLS_FILE_OPTIONS = ("cafile", "certfile", "keyfile")
_TLS_LISTENER_OPTIONS = (*_TLS_FILE_OPTIONS, "capath", "tls_version", "require_certificate",
                         "use_identity_as_username", "use_subject_as_username", "ciphers",
                         "ciphers_tls1.3", "crlfile", "dhparamfile")


@dataclass(frozen=True)
class TlsFiles:
    cafile: Path
    certfile: Path
    keyfile: Path


def select_tls_listeners(source: str, tls: TlsFiles | None) -> str:
    """Point TLS listeners at `tls`, or drop those whose certificate is not on this machine."""
    blocks: list[list[str]] = [[]]
    for raw in source.splitlines():
        if raw.split()[:1] == ["listener"]:
            blocks.append([])
        blocks[-1].append(raw)
    out = list(blocks[0])
    for block in blocks[1:]:
        options = {w[0]: w[1] for w in (line.split() for line in block) if len(w) >= 2}
        if "certfile" not in options:
            out.extend(block)
        elif tls is not None:
            for raw in block:
                key = raw.split()[:1]
                if key and key[0] in _TLS_FILE_OPTIONS:
                    out.append(f"{key[0]} {getattr(tls, key[0])}")
                else:
                    out.append(raw)
        elif Path(options["certfile"]).exists():
            out.extend(block)
        else:
            # Keep the block's global options (if any); drop the listener itself.
            out.extend(line for line in block[1:]
                       if line.split()[:1] and line.split()[0] not in _TLS_LISTENER_OPTIONS)
    return "\n".join(out) + "\n"


def mosquitto_binary() -> str:
    """Path to `mosquitto`; fail under CI (nothing may be skipped there), else skip."""
    found = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if os.access("/usr/sbin/mosquitto", os.X_OK) else None
    )
    if found:
        return found
    reason = "mosquitto binary not installed (apt-get install mosquitto)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_accepts(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def build_config(
    source: str,
    ports: Mapping[int, int],
    persistence_dir: Path,
    overrides: Mapping[str, str] | None = None,
    extra_lines: Sequence[str] = (),
    secure: bool = False,
    dynsec_file: Path | None = None,
) -> str:
    """Rewrite the project's config text for a test broker (pure function, unit-testable)."""
    overrides = dict(overrides or {})
    if not secure:
        overrides = {"allow_anonymous": "true", **overrides}
    out: list[str] = []
    for raw in source.splitlines():
        words = raw.split()
        key = words[0] if words and not words[0].startswith("#") else ""
        if key == "listener":
            out.append(f"listener {ports[int(words[1])]} 127.0.0.1")
        elif key == "port" or key in _MACHINE_OPTIONS or _dropped_when_open(key, secure):
            continue
        elif key == "plugin_opt_config_file" and dynsec_file is not None:
            out.append(f"plugin_opt_config_file {dynsec_file}")
        elif key in overrides:
            out.append(f"{key} {overrides.pop(key)}")
        else:
            out.append(raw)
    out.append(f"persistence_location {persistence_dir}/")
    out.append("log_dest stderr")
    # As root Mosquitto drops to user "mosquitto", who could not write our tmp dir.
    out.append(f"user {getpass.getuser()}")
    out.extend(f"{key} {value}" for key, value in overrides.items())
    out.extend(extra_lines)
    return "\n".join(out) + "\n"


def _dropped_when_open(key: str, secure: bool) -> bool:
    return not secure and (key in _AUTH_OPTIONS or key.startswith("plugin_opt_"))


def listener_ports(source: str) -> list[int]:
    return [
        int(line.split()[1])
        for line in source.splitlines()
        if line.split()[:1] == ["listener"] and len(line.split()) >= 2
    ]


class MosquittoBroker:
    """One broker process on fixed test ports and a fixed persistence directory."""

    host = "127.0.0.1"

    def __init__(
        self,
        workdir: Path,
        conf_source: Path = PROJECT_CONF,
        overrides: Mapping[str, str] | None = None,
        extra_lines: Sequence[str] = (),
        start_timeout: float = 10.0,
        *,
        secure: bool = False,
        tls: TlsFiles | None = None,
        topic_root: str = "aed/v1",
    ) -> None:
        self.binary = mosquitto_binary()
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.persistence_dir = self.workdir / "persistence"
        self.persistence_dir.mkdir(exist_ok=True)
        self.secure = secure
        dynsec_file: Path | None = None
        if secure:
            from app.gateways.dynsec import Account, bootstrap_config

            self.admin = Account.generate("aed-admin")
            self.ingest = Account.generate("aed-ingest")
            dynsec_file = self.workdir / "dynamic-security.json"
            dynsec_file.write_text(
                json.dumps(bootstrap_config(self.admin, self.ingest, topic_root), indent=1)
            )
        source = select_tls_listeners(conf_source.read_text(), tls)
        originals = listener_ports(source) or [1883]
        if not listener_ports(source):
            source += "\nlistener 1883\n"
        self.ports: dict[int, int] = {orig: free_port() for orig in originals}
        self.port = self.ports[originals[0]]
        self.conf_path = self.workdir / "mosquitto.conf"
        self.conf_path.write_text(
            build_config(source, self.ports, self.persistence_dir, overrides, extra_lines,
                         secure=secure, dynsec_file=dynsec_file)
        )
        self.log_path = self.workdir / "mosquitto.log"
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> MosquittoBroker:
        if self.running:
            return self
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [self.binary, "-c", str(self.conf_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + self.start_timeout
        while not all(port_accepts(self.host, p) for p in self.ports.values()):
            if self.process.poll() is not None:
                raise RuntimeError(f"mosquitto exited at start:\n{self.log_text()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"mosquitto did not listen in time:\n{self.log_text()}")
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop (SIGTERM): the broker writes its persistence file."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: only what autosave already wrote survives."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def restart(self) -> MosquittoBroker:
        self.stop()
        return self.start()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> MosquittoBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_mosquitto(
    workdir: Path,
    overrides: Mapping[str, str] | None = None,
    extra_lines: Sequence[str] = (),
    conf_source: Path = PROJECT_CONF,
    *,
    secure: bool = False,
    tls: TlsFiles | None = None,
) -> Iterator[MosquittoBroker]:
    broker = MosquittoBroker(workdir, conf_source, overrides, extra_lines, secure=secure, tls=tls)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()
