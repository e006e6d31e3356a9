"""DS18B20 1-Wire temperature sensor through the kernel's w1_slave file.

The file has two lines, e.g.
    72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
    72 01 4b 46 7f ff 0e 10 57 t=23125
A reading counts only when the CRC line ends in YES; t= is in milli-degrees Celsius.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from device_agent.drivers.base import Driver, DriverOptions

# 85 °C is the DS18B20's power-on reset value: a read before conversion, not a reading.
POWER_ON_RESET_MILLI_C = 85000


class W1Options(DriverOptions):
    device_file: Path


def parse_w1_slave(text: str) -> float:
    lines = text.strip().splitlines()
    if len(lines) < 2 or not lines[0].rstrip().endswith("YES"):
        raise ValueError("w1 CRC check failed or file incomplete")
    _, sep, value = lines[1].rpartition("t=")
    if not sep:
        raise ValueError("w1 reading has no t= field")
    milli = int(value.strip())
    if milli == POWER_ON_RESET_MILLI_C:
        raise ValueError("w1 sensor returned its power-on value (85 C)")
    return milli / 1000.0


class W1TemperatureDriver(Driver):
    name = "w1_temperature"
    Options = W1Options
    options: W1Options

    def read(self, now: float) -> dict[str, Any]:
        return {"temp_c": parse_w1_slave(self.options.device_file.read_text())}


DRIVER = W1TemperatureDriver
