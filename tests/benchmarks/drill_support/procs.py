"""The drill's real processes: started with their own logs, ended on every way out.

Every child is started through a small guard that asks Linux to send it SIGTERM when the
drill dies (``prctl(PR_SET_PDEATHSIG)``) and then execs the real program. A ``finally``
ends everything on a normal exit, an exception or Ctrl-C; the guard covers the one exit
a ``finally`` cannot see (the drill itself killed with SIGKILL), so no broker, ingest
or scheduler is left holding ports or a database after a failed run.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[3]
PR_SET_PDEATHSIG = 1
# argv: <drill pid> <program> <args...>; the program gets SIGTERM when the drill dies.
# The ppid check closes the race where the drill died before prctl took effect.
_GUARD = (
    "import ctypes, os, signal, sys\n"
    f"ctypes.CDLL(None, use_errno=True).prctl({PR_SET_PDEATHSIG}, signal.SIGTERM)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(70)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def guarded(argv: Sequence[str]) -> list[str]:
    """`argv` (argv[0] an absolute path) run so that it dies with this process."""
    return [sys.executable, "-c", _GUARD, str(os.getpid()), *argv]


def guard_binary(binary: str, workdir: Path) -> Path:
    """An executable in `workdir` that runs `binary` under the guard, for starters that
    take a binary path but no argv (tests/support/mosquitto.py)."""
    path = workdir / f"{Path(binary).name}-guarded"
    path.write_text(
        f"#!{sys.executable}\n"
        "import ctypes, os, signal, sys\n"
        f"ctypes.CDLL(None, use_errno=True).prctl({PR_SET_PDEATHSIG}, signal.SIGTERM)\n"
        f"if os.getppid() != {os.getpid()}:\n"
        "    sys.exit(70)\n"
        f"os.execv({binary!r}, [{binary!r}, *sys.argv[1:]])\n"
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


class Proc:
    """One child process with its log file."""

    def __init__(self, name: str, argv: Sequence[str], env: Mapping[str, str],
                 log_dir: Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Proc:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(guarded(self.argv), cwd=REPO, env=self.env,
                                     stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        return self

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL at once: no clean MQTT DISCONNECT, so the broker sends the will."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (the processes shut down cleanly on it), SIGKILL if it hangs."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.proc.returncode

    def log_tail(self, chars: int = 3000) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-chars:]


class ProcSet:
    """The drill's processes, stopped in reverse order of starting."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[Proc] = []

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str]) -> Proc:
        proc = Proc(name, argv, env, self.log_dir).start()
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            try:
                proc.stop()
            except Exception as exc:  # one stubborn child must not keep the rest running
                print(f"drill: could not stop {proc.name}: {exc!r}", file=sys.stderr)

    def tails(self, chars: int = 2500) -> str:
        return "\n".join(f"--- {p.name} (pid {p.proc.pid if p.proc else '-'}, "
                         f"exit {p.proc.poll() if p.proc else '-'})\n{p.log_tail(chars)}"
                         for p in self.procs)


def run_cli(argv: Sequence[str], env: Mapping[str, str], timeout: float = 120.0
            ) -> subprocess.CompletedProcess[str]:
    """A short-lived command (seed-demo, jobs run-once), guarded like the others."""
    return subprocess.run(guarded(argv), cwd=REPO, env=dict(env), capture_output=True,
                          text=True, timeout=timeout, check=False)


def flask(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", *args]
