"""A made-up AED cabinet: readings wander, and faults happen on a script or at random."""

from __future__ import annotations

import random
from enum import StrEnum
from typing import Any

from pydantic import Field

from device_agent.drivers.base import ConsumableDriver, ConsumableOptions, DriverOptions
from device_agent.protocol import POWER


class Fault(StrEnum):
    DOOR_OPEN = "door_open"
    AED_REMOVED = "aed_removed"
    SELF_TEST_FAIL = "self_test_fail"
    BATTERY_DRAIN = "battery_drain"
    TEMP_EXCURSION = "temp_excursion"
    POWER_LOSS = "power_loss"


class ScriptedFault(DriverOptions):
    fault: Fault
    at_s: float = Field(ge=0, description="seconds after the driver starts")
    duration_s: float | None = Field(default=None, gt=0, description="None: never ends")


class SimulatedOptions(ConsumableOptions):
    seed: int | None = None
    battery_pct: int = Field(default=95, ge=0, le=100)
    temp_c: float = 20.0
    faults: list[ScriptedFault] = Field(default_factory=list)
    fault_rate: float = Field(default=0.0, ge=0, le=1, description="chance per read")
    fault_duration_s: float = Field(default=30.0, gt=0)


class SimulatedDriver(ConsumableDriver):
    name = "simulated"
    Options = SimulatedOptions
    options: SimulatedOptions

    def __init__(self, device_id: str, options: DriverOptions) -> None:
        super().__init__(device_id, options)
        self.rng = random.Random(self.options.seed)
        self.battery = float(self.options.battery_pct)
        self.temp = self.options.temp_c
        self.started: float | None = None
        self.random_faults: list[tuple[Fault, float]] = []  # (fault, ends_at)

    def _active(self, now: float) -> set[Fault]:
        assert self.started is not None
        age = now - self.started
        active = {
            f.fault
            for f in self.options.faults
            if f.at_s <= age and (f.duration_s is None or age < f.at_s + f.duration_s)
        }
        self.random_faults = [(f, end) for f, end in self.random_faults if end > now]
        if self.options.fault_rate and self.rng.random() < self.options.fault_rate:
            fault = self.rng.choice(list(Fault))
            self.random_faults.append((fault, now + self.options.fault_duration_s))
        active.update(f for f, _ in self.random_faults)
        return active

    def read(self, now: float) -> dict[str, Any]:
        if self.started is None:
            self.started = now
        active = self._active(now)
        drain = 2.0 if Fault.BATTERY_DRAIN in active else 0.001
        self.battery = max(0.0, self.battery - drain * self.rng.random())
        target = 70.0 if Fault.TEMP_EXCURSION in active else self.options.temp_c
        self.temp += (target - self.temp) * 0.2 + self.rng.gauss(0, 0.2)
        return {
            "battery_pct": round(self.battery),
            "temp_c": round(max(-60.0, min(120.0, self.temp)), 2),
            "door": "open" if Fault.DOOR_OPEN in active else "closed",
            "aed_present": Fault.AED_REMOVED not in active,
            "self_test": "fail" if Fault.SELF_TEST_FAIL in active else "pass",
            POWER: Fault.POWER_LOSS not in active,
            **self.dates.readings(),
        }


DRIVER = SimulatedDriver
