"""Facts no sensor measures: pad and battery expiry, from config, updated by config sync."""

from __future__ import annotations

from datetime import date
from typing import Any

from device_agent.drivers.base import ConsumableDates, Driver, DriverOptions
from device_agent.protocol import DeviceSettings


class StaticOptions(DriverOptions):
    pad_expiry: date | None = None
    battery_expiry: date | None = None


class StaticDriver(Driver):
    name = "static"
    Options = StaticOptions
    options: StaticOptions

    def __init__(self, device_id: str, options: DriverOptions) -> None:
        super().__init__(device_id, options)
        self.dates = ConsumableDates(self.options.pad_expiry, self.options.battery_expiry)

    def read(self, now: float) -> dict[str, Any]:
        return self.dates.readings()

    def apply_settings(self, settings: DeviceSettings) -> None:
        self.dates.apply_settings(settings)


DRIVER = StaticDriver
