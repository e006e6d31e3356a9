"""Facts no sensor measures: pad and battery expiry, from config, updated by config sync."""

from __future__ import annotations

from typing import Any

from device_agent.drivers.base import ConsumableDriver, ConsumableOptions


class StaticDriver(ConsumableDriver):
    name = "static"
    Options = ConsumableOptions

    def read(self, now: float) -> dict[str, Any]:
        return self.dates.readings()


DRIVER = StaticDriver
