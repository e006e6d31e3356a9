"""Drivers, one module each, loaded by the name used in the agent config."""

from __future__ import annotations

import importlib
from typing import Any

from device_agent.drivers.base import Driver, DriverOptions

DRIVER_MODULES = {
    "simulated": "device_agent.drivers.simulated",
    "gpio_door": "device_agent.drivers.gpio_door",
    "w1_temperature": "device_agent.drivers.w1_temperature",
    "status_file": "device_agent.drivers.status_file",
    "static": "device_agent.drivers.static",
}


def driver_class(name: str) -> type[Driver]:
    try:
        module = importlib.import_module(DRIVER_MODULES[name])
    except KeyError:
        raise ValueError(
            f"unknown driver {name!r} (known: {', '.join(sorted(DRIVER_MODULES))})"
        ) from None
    cls: type[Driver] = module.DRIVER
    return cls


def build_driver(name: str, device_id: str, options: dict[str, Any]) -> Driver:
    cls = driver_class(name)
    return cls(device_id, cls.Options.model_validate(options))


__all__ = ["DRIVER_MODULES", "Driver", "DriverOptions", "build_driver", "driver_class"]
