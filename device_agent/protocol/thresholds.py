"""The sensor thresholds: their defaults and the one test of each.

The server judges readiness and raises alerts with these tests; the agent reports at
once when a reading crosses one. Both sides must draw the line at the same place, so
it is drawn here; the server's policy and the config message only choose the values.
"""

from __future__ import annotations

DEFAULT_TEMP_MIN_C = 0.0
DEFAULT_TEMP_MAX_C = 50.0
DEFAULT_BATTERY_LOW_PCT = 20


def temp_out_of_range(temp_c: float | None, temp_min_c: float, temp_max_c: float) -> bool:
    """Outside the operating range; both limits are still inside it. No reading: False."""
    return temp_c is not None and not (temp_min_c <= temp_c <= temp_max_c)


def battery_low(battery_pct: int | None, battery_low_pct: int) -> bool:
    """Below the limit (the limit itself is not low). No reading: False."""
    return battery_pct is not None and battery_pct < battery_low_pct
