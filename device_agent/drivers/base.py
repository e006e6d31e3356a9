"""What every driver offers: validated options, a read of current readings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from device_agent.protocol import DeviceSettings


class DriverOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Driver(ABC):
    """One source of readings for one device. `read()` may raise; the agent logs and goes on."""

    name: ClassVar[str]
    Options: ClassVar[type[DriverOptions]]

    def __init__(self, device_id: str, options: DriverOptions) -> None:
        self.device_id = device_id
        self.options = options

    @abstractmethod
    def read(self, now: float) -> dict[str, Any]:
        """Current readings (a subset of protocol Readings fields, plus optional protocol `POWER`)."""

    def apply_settings(self, settings: DeviceSettings) -> None:
        """Take facts pushed by the server's config (default: nothing to take)."""
        del settings
