"""AED ready indicator, read from a file or a command's output.

Many cabinets expose the AED's status LED through a small board or a vendor tool; map
its text to the self-test result: pass words, fail words, anything else is unknown.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from pydantic import model_validator

from device_agent.drivers.base import Driver, DriverOptions


class StatusOptions(DriverOptions):
    path: Path | None = None
    command: list[str] | None = None
    timeout_s: float = 5.0
    pass_words: list[str] = ["ready", "ok", "pass", "1"]  # noqa: RUF012 - pydantic copies
    fail_words: list[str] = ["fault", "fail", "error", "0"]  # noqa: RUF012

    @model_validator(mode="after")
    def _one_source(self) -> StatusOptions:
        if (self.path is None) == (self.command is None):
            raise ValueError("set exactly one of path or command")
        return self


class StatusFileDriver(Driver):
    name = "status_file"
    Options = StatusOptions
    options: StatusOptions

    def _text(self) -> str:
        if self.options.path is not None:
            return self.options.path.read_text()
        assert self.options.command is not None
        done = subprocess.run(
            self.options.command,
            capture_output=True,
            text=True,
            timeout=self.options.timeout_s,
            check=True,
        )
        return done.stdout

    def read(self, now: float) -> dict[str, Any]:
        word = self._text().strip().lower()
        if word in self.options.pass_words:
            return {"self_test": "pass"}
        if word in self.options.fail_words:
            return {"self_test": "fail"}
        return {"self_test": "unknown"}


DRIVER = StatusFileDriver
