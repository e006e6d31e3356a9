"""The one evaluation of an AED as a table: status, reasons and the alerts that should be
open, for every status and every boundary."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from app.aeds.evaluation import AedFacts, EvaluationPolicy, evaluate

NOW = datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
TODAY = NOW.date()
# 30-day attention lead, stages 90/30/7, battery low < 20 %, 0-50 °C, monthly checks,
# door limit 10 min, liveness 3 x report interval.
POLICY = EvaluationPolicy.defaults()


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


# An unmonitored AED in perfect order.
OK = AedFacts(asset_id=1, site_id=1, pad_expiry=days(400), battery_expiry=days(900),
              last_inspection_at=ago(days=5))
# A monitored one, heard from a minute ago, behind a live gateway.
LIVE = replace(
    OK, monitored=True, device_id="cab-1", device_last_seen_at=ago(minutes=1),
    device_created_at=ago(days=30), gateway_id="gw-1", gateway_state="online",
    gateway_last_seen_at=ago(minutes=1), gateway_created_at=ago(days=30),
    report_interval_s=60, battery_pct=90, self_test="pass", temp_c=20.0, door="closed",
    aed_present=True)
OPEN = replace(LIVE, door="open", door_opened_at=ago(minutes=1))
TAKEN = replace(OPEN, aed_present=False, aed_removed_at=ago(seconds=50))

Case = tuple[str, AedFacts, str, tuple[str, ...], set[str]]
CASES: list[Case] = [
    ("unmonitored all good", OK, "ready", (), set()),
    ("monitored all good", LIVE, "ready", (), set()),
    # dated consumables: readiness lead 30 days, alert stages 90/30/7
    ("pads in 91 days", replace(OK, pad_expiry=days(91)), "ready", (), set()),
    ("pads in 90 days: first stage", replace(OK, pad_expiry=days(90)), "ready", (),
     {"pad_expiring"}),
    ("pads in 31 days", replace(OK, pad_expiry=days(31)), "ready", (), {"pad_expiring"}),
    ("pads at the lead-time edge", replace(OK, pad_expiry=days(30)), "attention",
     ("pad_expiring",), {"pad_expiring"}),
    ("pads expire tomorrow", replace(OK, pad_expiry=days(1)), "attention", ("pad_expiring",),
     {"pad_expiring"}),
    ("pads expire today", replace(OK, pad_expiry=days(0)), "not_ready", ("pad_expired",),
     {"pad_expired"}),
    ("pads expired yesterday", replace(OK, pad_expiry=days(-1)), "not_ready",
     ("pad_expired",), {"pad_expired"}),
    ("battery at the edge", replace(OK, battery_expiry=days(30)), "attention",
     ("battery_expiring",), {"battery_expiring"}),
    ("battery expires today", replace(OK, battery_expiry=days(0)), "not_ready",
     ("battery_expired",), {"battery_expired"}),
    ("both expired", replace(OK, pad_expiry=days(-3), battery_expiry=days(-3)), "not_ready",
     ("pad_expired", "battery_expired"), {"pad_expired", "battery_expired"}),
    # missing data is never "ready"
    ("pad expiry unknown", replace(OK, pad_expiry=None), "attention", ("pad_expiry_missing",),
     set()),
    ("battery expiry unknown", replace(OK, battery_expiry=None), "attention",
     ("battery_expiry_missing",), set()),
    ("never inspected, no install date", replace(OK, last_inspection_at=None), "attention",
     ("never_inspected",), {"inspection_due"}),
    ("install date stands in for the first check",
     replace(OK, last_inspection_at=None, install_date=TODAY - timedelta(days=3)), "ready", (),
     set()),
    # inspection schedule (monthly, due soon 7 days before)
    ("check due in 8 days", replace(OK, last_inspection_at=ago(days=22)), "ready", (), set()),
    ("check due in 7 days", replace(OK, last_inspection_at=ago(days=23, seconds=1)),
     "attention", ("inspection_due_soon",), {"inspection_due"}),
    ("check due exactly now", replace(OK, last_inspection_at=ago(days=30)), "attention",
     ("inspection_due_soon",), {"inspection_due"}),
    ("check overdue by a second", replace(OK, last_inspection_at=ago(days=30, seconds=1)),
     "not_ready", ("inspection_overdue",), {"inspection_overdue"}),
    ("asset's own interval", replace(OK, last_inspection_at=ago(days=10),
                                     inspection_interval_days=7), "not_ready",
     ("inspection_overdue",), {"inspection_overdue"}),
    # sensors
    ("self-test failed", replace(LIVE, self_test="fail"), "not_ready", ("self_test_failed",),
     {"self_test_failed"}),
    ("self-test unknown is not a failure", replace(LIVE, self_test="unknown"), "ready", (),
     set()),
    ("too cold", replace(LIVE, temp_c=-0.5), "not_ready", ("temperature_out_of_range",),
     {"temperature_out_of_range"}),
    ("at 0 °C", replace(LIVE, temp_c=0.0), "ready", (), set()),
    ("at 50 °C", replace(LIVE, temp_c=50.0), "ready", (), set()),
    ("58 °C", replace(LIVE, temp_c=58.0), "not_ready", ("temperature_out_of_range",),
     {"temperature_out_of_range"}),
    ("battery 19 %", replace(LIVE, battery_pct=19), "attention", ("battery_low",),
     {"battery_low"}),
    ("battery 20 %", replace(LIVE, battery_pct=20), "ready", (), set()),
    # one opening, one story
    ("door open, AED inside", OPEN, "ready", (), {"cabinet_opened"}),
    ("door open 10 min, AED inside", replace(OPEN, door_opened_at=ago(minutes=10)), "ready",
     (), {"door_open_too_long"}),
    ("cabinet open and AED taken", TAKEN, "in_use", ("cabinet_open_aed_removed",),
     {"aed_in_use"}),
    ("AED taken, door open an hour: still only the incident",
     replace(TAKEN, door_opened_at=ago(hours=1)), "in_use", ("cabinet_open_aed_removed",),
     {"aed_in_use"}),
    ("AED taken, door closed again", replace(TAKEN, door="closed"), "in_use",
     ("cabinet_open_aed_removed",), {"aed_in_use"}),
    ("use incident open", replace(OK, in_use_since=ago(minutes=5)), "in_use",
     ("use_incident_open",), {"aed_in_use"}),
    ("in use beats expired pads", replace(OK, in_use_since=NOW, pad_expiry=days(-1)), "in_use",
     ("use_incident_open",), {"aed_in_use", "pad_expired"}),
    ("opening already told (incident closed since)",
     replace(TAKEN, presence_reset_at=ago(seconds=10)), "not_ready", ("aed_missing",), set()),
    ("door open told, reopened later",
     replace(OPEN, presence_reset_at=ago(minutes=5)), "ready", (), {"cabinet_opened"}),
    ("maintenance: opening raises nothing",
     replace(TAKEN, maintenance_until=NOW + timedelta(minutes=30)), "not_ready",
     ("aed_missing",), set()),
    ("door left open after the visit ended: counted from its end",
     replace(OPEN, door_opened_at=ago(hours=1), presence_reset_at=ago(minutes=10)), "ready",
     (), {"door_open_too_long"}),
    ("door left open, visit ended 5 min ago", replace(
        OPEN, door_opened_at=ago(hours=1), presence_reset_at=ago(minutes=5)), "ready", (),
     set()),
    ("maintenance: door open long raises nothing",
     replace(OPEN, door_opened_at=ago(hours=1), maintenance_until=NOW + timedelta(minutes=5)),
     "ready", (), set()),
    # liveness: 3 x 60 s window
    ("silent just inside window", replace(LIVE, device_last_seen_at=ago(seconds=180)),
     "ready", (), set()),
    ("device silent past window", replace(LIVE, device_last_seen_at=ago(seconds=181)),
     "unknown", ("device_silent",), {"device_silent"}),
    ("monitored, never heard from", replace(LIVE, device_last_seen_at=None), "unknown",
     ("device_silent",), {"device_silent"}),
    ("registered a minute ago, not heard yet: not silent",
     replace(LIVE, device_last_seen_at=None, device_created_at=ago(minutes=1)), "ready", (),
     set()),
    ("silent: stale self-test failure is not trusted",
     replace(LIVE, device_last_seen_at=ago(hours=1), self_test="fail"), "unknown",
     ("device_silent",), {"device_silent"}),
    ("silent but pads certainly expired",
     replace(LIVE, device_last_seen_at=ago(hours=1), pad_expiry=days(-1)), "not_ready",
     ("pad_expired",), {"device_silent", "pad_expired"}),
    ("gateway's will: unknown, no device alert",
     replace(LIVE, gateway_state="offline", gateway_state_received_at=ago(seconds=1)),
     "unknown", ("gateway_offline",), set()),
    ("gateway stopped", replace(LIVE, gateway_state="stopped", gateway_state_received_at=NOW),
     "unknown", ("gateway_offline",), set()),
    ("gateway silent past window", replace(LIVE, gateway_last_seen_at=ago(seconds=181)),
     "unknown", ("gateway_offline",), set()),
    ("unmonitored asset ignores sensor fields", replace(OK, self_test="fail", temp_c=80.0),
     "ready", (), set()),
    ("default interval when the gateway has none",
     replace(LIVE, report_interval_s=None, device_last_seen_at=ago(seconds=899),
             gateway_last_seen_at=ago(seconds=899)), "ready", (), set()),
]


@pytest.mark.parametrize(("facts", "status", "reasons", "kinds"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_evaluation_table(facts: AedFacts, status: str, reasons: tuple[str, ...],
                          kinds: set[str]) -> None:
    result = evaluate(facts, NOW, TODAY, POLICY)
    assert (result.status, result.reasons) == (status, reasons)
    assert result.wanted_kinds() == kinds


def test_every_status_is_covered_by_the_table() -> None:
    assert {c[2] for c in CASES} == {"ready", "attention", "not_ready", "in_use", "unknown"}


@pytest.mark.parametrize(("left", "stage", "severity"), [
    (90, 90, "warning"), (31, 90, "warning"), (30, 30, "warning"), (8, 30, "warning"),
    (7, 7, "critical"), (1, 7, "critical"), (0, 0, "critical"), (-5, 0, "critical"),
])
def test_expiry_stages(left: int, stage: int, severity: str) -> None:
    result = evaluate(replace(OK, pad_expiry=days(left)), NOW, TODAY, POLICY)
    (want,) = [w for w in result.wanted if w.kind.startswith("pad_")]
    assert (want.stage, want.severity) == (stage, severity)
    assert want.detail == {"expiry": days(left).isoformat()}


def test_taking_the_aed_starts_the_incident() -> None:
    result = evaluate(TAKEN, NOW, TODAY, POLICY)
    assert result.incident_starts_at == TAKEN.aed_removed_at
    assert evaluate(replace(TAKEN, in_use_since=ago(minutes=1)), NOW, TODAY,
                    POLICY).incident_starts_at is None


def test_stale_facts_are_left_unjudged() -> None:
    silent = replace(LIVE, device_last_seen_at=ago(hours=1), self_test="fail")
    unjudged = evaluate(silent, NOW, TODAY, POLICY).unjudged
    assert {"self_test_failed", "temperature_out_of_range", "battery_low"} <= unjudged


def test_offline_will_waits_out_the_grace() -> None:
    policy = replace(POLICY, offline_grace=timedelta(seconds=30))
    will = replace(LIVE, gateway_state="offline", gateway_state_received_at=ago(seconds=10))
    assert evaluate(will, NOW, TODAY, policy).status == "ready"
    later = replace(will, gateway_state_received_at=ago(seconds=30))
    assert evaluate(later, NOW, TODAY, policy).status == "unknown"


def test_local_day_decides_expiry() -> None:
    # 23:30 on the 28th in UTC is already the 29th in Shanghai: pads dated the 29th
    # have expired there.
    late = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    facts = replace(OK, pad_expiry=date(2026, 11, 29), last_inspection_at=late)
    assert evaluate(facts, late, late.date(), POLICY).status == "attention"
    assert evaluate(facts, late, date(2026, 11, 29), POLICY).status == "not_ready"


@pytest.mark.parametrize(("facts", "at", "on"), [
    # Pads in 400 days: nothing changes until 90 days are left.
    (OK, ago(days=5) + timedelta(days=30 - 7, seconds=1), days(310)),
    (replace(OK, pad_expiry=days(31)), ago(days=5) + timedelta(days=23, seconds=1), days(1)),
    (replace(OK, pad_expiry=days(8)), ago(days=5) + timedelta(days=23, seconds=1), days(1)),
    (replace(OK, pad_expiry=days(-2), battery_expiry=days(-2),
             last_inspection_at=ago(days=40)), None, None),
    # A live device: its silence window ends 3 minutes after it was last heard.
    (LIVE, ago(minutes=1) + timedelta(seconds=181), days(310)),
    # A door open with the AED inside: it becomes "too long" at the limit.
    (replace(OPEN, door_opened_at=ago(minutes=9)), ago(minutes=9) + timedelta(minutes=10),
     days(310)),
])
def test_the_next_change_is_known(facts: AedFacts, at: datetime | None,
                                  on: date | None) -> None:
    result = evaluate(facts, NOW, TODAY, POLICY)
    assert (result.changes_at, result.changes_on) == (at, on)
