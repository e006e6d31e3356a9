"""The readiness rule as a table: every status and every boundary."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from app.aeds.readiness import ReadinessFacts, compute_readiness
from app.config import ReadinessPolicy

NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
TODAY = NOW.date()
POLICY = ReadinessPolicy()  # 30-day lead, battery low < 20 %, 0-50 °C, monthly checks


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


# An unmonitored AED in perfect order.
OK = ReadinessFacts(
    pad_expiry=days(400),
    battery_expiry=days(900),
    last_inspection_at=NOW - timedelta(days=5),
)
# A monitored one, heard from a minute ago.
LIVE = replace(
    OK,
    monitored=True,
    device_last_seen_at=NOW - timedelta(minutes=1),
    report_interval_s=60,
    battery_pct=90,
    self_test="pass",
    temp_c=20.0,
    door="closed",
    aed_present=True,
)

CASES: list[tuple[str, ReadinessFacts, str, tuple[str, ...]]] = [
    ("unmonitored all good", OK, "ready", ()),
    ("monitored all good", LIVE, "ready", ()),
    # expiry boundaries (lead time 30 days)
    ("pads expire tomorrow+30: outside lead", replace(OK, pad_expiry=days(31)), "ready", ()),
    ("pads at the lead-time edge", replace(OK, pad_expiry=days(30)), "attention", ("pad_expiring",)),
    ("pads expire tomorrow", replace(OK, pad_expiry=days(1)), "attention", ("pad_expiring",)),
    ("pads expire today", replace(OK, pad_expiry=days(0)), "not_ready", ("pad_expired",)),
    ("pads expired yesterday", replace(OK, pad_expiry=days(-1)), "not_ready", ("pad_expired",)),
    ("battery at the edge", replace(OK, battery_expiry=days(30)), "attention", ("battery_expiring",)),
    ("battery expires today", replace(OK, battery_expiry=days(0)), "not_ready", ("battery_expired",)),
    ("both expired", replace(OK, pad_expiry=days(-3), battery_expiry=days(-3)), "not_ready",
     ("pad_expired", "battery_expired")),
    # missing data is never "ready"
    ("pad expiry unknown", replace(OK, pad_expiry=None), "attention", ("pad_expiry_missing",)),
    ("battery expiry unknown", replace(OK, battery_expiry=None), "attention",
     ("battery_expiry_missing",)),
    ("never inspected, no install date", replace(OK, last_inspection_at=None), "attention",
     ("never_inspected",)),
    ("install date stands in for the first check",
     replace(OK, last_inspection_at=None, install_date=TODAY - timedelta(days=3)), "ready", ()),
    # inspection schedule (monthly, due-soon 7 days before)
    ("check due in 8 days", replace(OK, last_inspection_at=NOW - timedelta(days=22)), "ready", ()),
    ("check due in 7 days", replace(OK, last_inspection_at=NOW - timedelta(days=23, seconds=1)),
     "attention", ("inspection_due_soon",)),
    ("check due exactly now", replace(OK, last_inspection_at=NOW - timedelta(days=30)),
     "attention", ("inspection_due_soon",)),
    ("check overdue by a second", replace(OK, last_inspection_at=NOW - timedelta(days=30, seconds=1)),
     "not_ready", ("inspection_overdue",)),
    ("asset's own interval", replace(OK, last_inspection_at=NOW - timedelta(days=10),
                                     inspection_interval_days=7), "not_ready", ("inspection_overdue",)),
    # sensors
    ("self-test failed", replace(LIVE, self_test="fail"), "not_ready", ("self_test_failed",)),
    ("self-test unknown is not a failure", replace(LIVE, self_test="unknown"), "ready", ()),
    ("AED missing, door closed", replace(LIVE, aed_present=False), "not_ready", ("aed_missing",)),
    ("too cold", replace(LIVE, temp_c=-0.5), "not_ready", ("temperature_out_of_range",)),
    ("at 0 °C", replace(LIVE, temp_c=0.0), "ready", ()),
    ("at 50 °C", replace(LIVE, temp_c=50.0), "ready", ()),
    ("too hot", replace(LIVE, temp_c=50.1), "not_ready", ("temperature_out_of_range",)),
    ("battery 19 %", replace(LIVE, battery_pct=19), "attention", ("battery_low",)),
    ("battery 20 %", replace(LIVE, battery_pct=20), "ready", ()),
    ("door open, AED inside", replace(LIVE, door="open"), "ready", ()),
    # in use
    ("cabinet open and AED removed", replace(LIVE, door="open", aed_present=False), "in_use",
     ("cabinet_open_aed_removed",)),
    ("use incident open", replace(OK, in_use_since=NOW - timedelta(minutes=5)), "in_use",
     ("use_incident_open",)),
    ("in use beats expired pads", replace(OK, in_use_since=NOW, pad_expiry=days(-1)), "in_use",
     ("use_incident_open",)),
    # liveness: 3 x 60 s window
    ("silent just inside window", replace(LIVE, device_last_seen_at=NOW - timedelta(seconds=180)),
     "ready", ()),
    ("silent past window", replace(LIVE, device_last_seen_at=NOW - timedelta(seconds=181)),
     "unknown", ("device_silent",)),
    ("monitored, never heard from", replace(LIVE, device_last_seen_at=None), "unknown",
     ("device_silent",)),
    ("silent: stale self-test failure is not trusted",
     replace(LIVE, device_last_seen_at=NOW - timedelta(hours=1), self_test="fail"),
     "unknown", ("device_silent",)),
    ("silent but pads certainly expired",
     replace(LIVE, device_last_seen_at=NOW - timedelta(hours=1), pad_expiry=days(-1)),
     "not_ready", ("pad_expired",)),
    ("unmonitored asset ignores sensor fields", replace(OK, self_test="fail", temp_c=80.0),
     "ready", ()),
    ("default interval when gateway unknown",
     replace(LIVE, report_interval_s=None, device_last_seen_at=NOW - timedelta(seconds=899)),
     "ready", ()),
]


@pytest.mark.parametrize(("facts", "status", "reasons"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_readiness_table(facts: ReadinessFacts, status: str, reasons: tuple[str, ...]) -> None:
    result = compute_readiness(facts, NOW, POLICY)
    assert (result.status, result.reasons) == (status, reasons)


def test_every_status_is_covered_by_the_table() -> None:
    assert {c[2] for c in CASES} == {"ready", "attention", "not_ready", "in_use", "unknown"}


def test_local_day_decides_expiry() -> None:
    # 23:30 on the 28th in UTC is already the 29th in Shanghai: pads dated the 29th
    # have expired there.
    late = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    facts = replace(OK, pad_expiry=date(2026, 11, 29), last_inspection_at=late)
    assert compute_readiness(facts, late, POLICY).status == "attention"
    assert compute_readiness(facts, late, POLICY, local_today=date(2026, 11, 29)).status == (
        "not_ready"
    )


def test_naive_clock_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_readiness(OK, datetime(2026, 1, 1), POLICY)
