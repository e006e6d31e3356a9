"""What each event kind says about a reading, in one table for both sides.

The agent raises the event when the reading takes the value; the server takes the
event as that reading at the event's (session, seq). Each side derives the direction
it needs from `EVENT_READINGS`, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from device_agent.protocol.messages import Door, EventKind, SelfTest

# Drivers report mains power and the agent turns it into events, but telemetry v1 has
# no such field: the server keeps power events as events only.
POWER = "power"

Reading = tuple[str, str | bool]

# Kinds absent here (tamper) say nothing about a reading.
EVENT_READINGS: Mapping[EventKind, Reading] = MappingProxyType({
    EventKind.DOOR_OPENED: ("door", Door.OPEN),
    EventKind.DOOR_CLOSED: ("door", Door.CLOSED),
    EventKind.AED_REMOVED: ("aed_present", False),
    EventKind.AED_RETURNED: ("aed_present", True),
    EventKind.SELF_TEST_FAILED: ("self_test", SelfTest.FAIL),
    EventKind.SELF_TEST_PASSED: ("self_test", SelfTest.PASS),
    EventKind.POWER_LOST: (POWER, False),
    EventKind.POWER_RESTORED: (POWER, True),
})
