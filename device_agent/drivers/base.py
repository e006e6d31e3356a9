"""What every driver offers: validated options, a read of current readings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from device_agent.protocol import DeviceSettings


class DriverOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Driver(ABC):
    """One source of readings for one device. `read()` may raise; the agent logs and goes on.

    A driver names its own `Options` class; a subclass narrows the type of `options` to
    it (checked here, once for every driver).
    """

    name: ClassVar[str]
    Options: ClassVar[type[DriverOptions]]

    def __init__(self, device_id: str, options: DriverOptions) -> None:
        if not isinstance(options, self.Options):
            raise TypeError(f"driver {self.name} takes {self.Options.__name__}, "
                            f"not {type(options).__name__}")
        self.device_id = device_id
        self.options = options

    @abstractmethod
    def read(self, now: float) -> dict[str, Any]:
        """Current readings (a subset of protocol Readings fields, plus optional protocol `POWER`)."""

    def apply_settings(self, settings: DeviceSettings) -> None:
        """Take facts pushed by the server's config (default: nothing to take)."""
        del settings


class ConsumableDates:
    """Pad and battery expiry, which no sensor measures: from the driver's options at
    first, then as the server's config sync sets them; read out with every reading."""

    def __init__(self, pad_expiry: date | None, battery_expiry: date | None) -> None:
        self.pad_expiry = pad_expiry
        self.battery_expiry = battery_expiry

    def readings(self) -> dict[str, Any]:
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


class ConsumableOptions(DriverOptions):
    pad_expiry: date | None = None
    battery_expiry: date | None = None


class ConsumableDriver(Driver):
    """A driver that also reports the AED's pad and battery expiry (`ConsumableDates`)."""

    options: ConsumableOptions

    def __init__(self, device_id: str, options: DriverOptions) -> None:
        super().__init__(device_id, options)
        self.dates = ConsumableDates(self.options.pad_expiry, self.options.battery_expiry)

    def apply_settings(self, settings: DeviceSettings) -> None:
        self.dates.apply_settings(settings)
