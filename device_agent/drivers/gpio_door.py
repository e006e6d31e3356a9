"""Cabinet door reed switch on a Linux GPIO line.

Reads the sysfs `value` file (`/sys/class/gpio/gpioN/value`, "0"/"1"); any file with that
format works, which is how the tests drive it. On kernels without sysfs GPIO, set
`chip`/`line` to read through libgpiod's Python binding when it is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from device_agent.drivers.base import Driver, DriverOptions


class GpioDoorOptions(DriverOptions):
    value_file: Path | None = None
    chip: str | None = None
    line: int | None = None
    # Reed switches are usually closed (1) while the magnet is near, i.e. door shut.
    open_when: int = 0


class GpioDoorDriver(Driver):
    name = "gpio_door"
    Options = GpioDoorOptions
    options: GpioDoorOptions

    def __init__(self, device_id: str, options: DriverOptions) -> None:
        super().__init__(device_id, options)
        if self.options.value_file is None and None in (self.options.chip, self.options.line):
            raise ValueError("gpio_door needs value_file, or chip and line")

    def _level(self) -> int:
        if self.options.value_file is not None:
            text = self.options.value_file.read_text().strip()
            if text not in ("0", "1"):
                raise ValueError(f"unexpected GPIO value {text!r}")
            return int(text)
        import gpiod  # optional: only gateways without sysfs GPIO need it

        with gpiod.request_lines(
            f"/dev/{self.options.chip}", consumer="aed-agent", config={self.options.line: None}
        ) as request:
            return int(request.get_value(self.options.line).value)

    def read(self, now: float) -> dict[str, Any]:
        return {"door": "open" if self._level() == self.options.open_when else "closed"}


DRIVER = GpioDoorDriver
