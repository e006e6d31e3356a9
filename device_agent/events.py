"""Turn changes in readings into protocol events and immediate reports, in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from device_agent.protocol import EVENT_READINGS, EventKind, Thresholds

# (reading, value) -> event raised when the reading takes that value.
_ON_VALUE: Mapping[tuple[str, Any], EventKind] = {
    reading: kind for kind, reading in EVENT_READINGS.items()
}
# The readings events come from, in the order their events are raised.
_SOURCES: tuple[str, ...] = tuple(dict.fromkeys(name for name, _ in EVENT_READINGS.values()))
# Worth an event even on the first reading after start (nothing to compare with).
_ALARMING_AT_START = frozenset(
    {
        EventKind.DOOR_OPENED,
        EventKind.AED_REMOVED,
        EventKind.SELF_TEST_FAILED,
        EventKind.POWER_LOST,
    }
)


def derive_events(previous: dict[str, Any], current: dict[str, Any]) -> list[EventKind]:
    out: list[EventKind] = []
    for key in _SOURCES:
        if key not in current:
            continue
        event = _ON_VALUE.get((key, current[key]))
        if event is None:
            continue
        if key in previous:
            if previous[key] != current[key]:
                out.append(event)
        elif event in _ALARMING_AT_START:
            out.append(event)
    return out


def crossed_thresholds(
    previous: dict[str, Any], current: dict[str, Any], thresholds: Thresholds
) -> bool:
    """True when a reading moved across a threshold: report now, not at the next period."""
    for name, test in (("temp_c", thresholds.temp_out_of_range),
                       ("battery_pct", thresholds.battery_low)):
        before, now = previous.get(name), current.get(name)
        if before is not None and now is not None and test(before) != test(now):
            return True
    return False

