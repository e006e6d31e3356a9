"""Turn changes in readings into protocol events, in one place."""

from __future__ import annotations

from typing import Any

from device_agent.drivers.base import POWER
from device_agent.protocol import EventKind

# (reading, value) -> event raised when the reading takes that value.
_ON_VALUE: dict[tuple[str, Any], EventKind] = {
    ("door", "open"): EventKind.DOOR_OPENED,
    ("door", "closed"): EventKind.DOOR_CLOSED,
    ("aed_present", False): EventKind.AED_REMOVED,
    ("aed_present", True): EventKind.AED_RETURNED,
    ("self_test", "fail"): EventKind.SELF_TEST_FAILED,
    ("self_test", "pass"): EventKind.SELF_TEST_PASSED,
    (POWER, False): EventKind.POWER_LOST,
    (POWER, True): EventKind.POWER_RESTORED,
}
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
    for key in ("door", "aed_present", "self_test", POWER):
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
    previous: dict[str, Any],
    current: dict[str, Any],
    temp_min: float,
    temp_max: float,
    battery_low: int,
) -> bool:
    """True when a reading moved across a threshold: report now, not at the next period."""

    def temp_out(r: dict[str, Any]) -> bool | None:
        t = r.get("temp_c")
        return None if t is None else not (temp_min <= t <= temp_max)

    def battery_low_(r: dict[str, Any]) -> bool | None:
        b = r.get("battery_pct")
        return None if b is None else b < battery_low

    return any(
        f(previous) is not None and f(current) is not None and f(previous) != f(current)
        for f in (temp_out, battery_low_)
    )
