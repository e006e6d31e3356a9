"""Facts no sensor measures: pad and battery expiry, from config, updated by config sync."""

from __future__ import annotations

from datetime import date
from typing import Any

from device_agent.drivers.base import Driver, DriverOptions
from device_agent.protocol import DeviceSettings


class StaticOptions(DriverOptions):
    pad_expiry: date | None = None
    battery_expiry: date | None = None


class StaticDriver(Driver):
    name = "static"
    Options = StaticOptions

    def __init__(self, device_id: str, options: DriverOptions) -> None:
        super().__init__(device_id, options)
        assert isinstance(options, StaticOptions)
        self.pad_expiry = options.pad_expiry
        self.battery_expiry = options.battery_expiry

    def read(self, now: float) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.pad_expiry is not None:
            out["pad_expiry"] = self.pad_expiry
        if self.battery_expiry is not None:
            out["battery_expiry"] = self.battery_expiry
        return out

    def apply_settings(self, settings: DeviceSettings) -> None:
        if settings.pad_expiry is not None:
            self.pad_expiry = settings.pad_expiry
        if settings.battery_expiry is not None:
            self.battery_expiry = settings.battery_expiry


DRIVER = StaticDriver
