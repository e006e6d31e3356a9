"""Cabinet door reed switch on a Linux GPIO line.

Reads the sysfs `value` file (`/sys/class/gpio/gpioN/value`, "0"/"1"); any file with that
format works, which is how the tests drive it. On kernels without sysfs GPIO, set
`chip`/`line` to read through libgpiod's Python binding when it is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import model_validator

from device_agent.drivers.base import Driver, DriverOptions


class GpioDoorOptions(DriverOptions):
    value_file: Path | None = None
    chip: str | None = None
    line: int | None = None
    # Reed switches are usually closed (1) while the magnet is near, i.e. door shut.
    open_when: int = 0

    @model_validator(mode="after")
    def _one_source(self) -> GpioDoorOptions:
        if self.value_file is None and None in (self.chip, self.line):
            raise ValueError("gpio_door needs value_file, or chip and line")
        return self


def sysfs_level(value_file: Path) -> int:
    """The level in a sysfs `value` file ("0" or "1")."""
    text = value_file.read_text().strip()
    if text not in ("0", "1"):
        raise ValueError(f"unexpected GPIO value {text!r}")
    return int(text)


def gpiod_level(chip: str, line: int) -> int:
    """The level of one line of /dev/<chip>, through libgpiod."""
    import gpiod  # optional: only gateways without sysfs GPIO need it

    with gpiod.request_lines(f"/dev/{chip}", consumer="aed-agent", config={line: None}) as request:
        return int(request.get_value(line).value)


class GpioDoorDriver(Driver):
    name = "gpio_door"
    Options = GpioDoorOptions
    options: GpioDoorOptions

    def read(self, now: float) -> dict[str, Any]:
        o = self.options
        if o.value_file is not None:
            level = sysfs_level(o.value_file)
        else:
            assert o.chip is not None and o.line is not None  # GpioDoorOptions._one_source
            level = gpiod_level(o.chip, o.line)
        return {"door": "open" if level == o.open_when else "closed"}


DRIVER = GpioDoorDriver
