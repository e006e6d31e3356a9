"""The one readiness rule for an AED.

`compute_readiness` is pure: it takes the stored facts and a clock and returns a status
with the reasons behind it. The map, the API, alerts and the public view all use it
(through `refresh_asset_status`), so no entry point decides readiness on its own.

Precedence, most urgent first:
1. ``in_use``: a use incident is open, or the cabinet is open and the AED is out.
2. ``not_ready`` from dated facts that hold whatever the sensors say: pads or battery
   expired, monthly check overdue.
3. ``unknown``: a monitored device is silent past its liveness window, so its sensor
   readings can no longer be trusted.
4. ``not_ready`` from sensors: self-test failed, AED missing, temperature out of range.
5. ``attention``: something expires within the lead time, a check is due soon, battery
   low, or an expiry date was never recorded.
6. ``ready``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from app.config import ReadinessPolicy

READY = "ready"
ATTENTION = "attention"
NOT_READY = "not_ready"
IN_USE = "in_use"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ReadinessFacts:
    """What is stored about one AED, as plain values."""

    pad_expiry: date | None = None
    battery_expiry: date | None = None
    # Reference for the check schedule: the last inspection, else the install date.
    last_inspection_at: datetime | None = None
    install_date: date | None = None
    inspection_interval_days: int | None = None
    in_use_since: datetime | None = None
    # Monitoring: None when the asset has no device bound (unmonitored).
    monitored: bool = False
    device_last_seen_at: datetime | None = None
    report_interval_s: int | None = None
    battery_pct: int | None = None
    self_test: str | None = None
    temp_c: float | None = None
    door: str | None = None
    aed_present: bool | None = None


@dataclass(frozen=True)
class Readiness:
    status: str
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def reason_text(self) -> str:
        return ",".join(self.reasons)


def _expiry_reasons(
    name: str, expiry: date | None, today: date, lead_days: int
) -> tuple[list[str], list[str]]:
    """(not_ready reasons, attention reasons) for one dated consumable."""
    if expiry is None:
        return [], [f"{name}_expiry_missing"]
    # An item expiring today is already expired: it may not be used today.
    if expiry <= today:
        return [f"{name}_expired"], []
    if expiry <= today + timedelta(days=lead_days):
        return [], [f"{name}_expiring"]
    return [], []


def compute_readiness(facts: ReadinessFacts, now: datetime, policy: ReadinessPolicy,
                      local_today: date | None = None) -> Readiness:
    """Status of one AED at `now` (aware UTC). `local_today` is the calendar day where
    the AED stands (expiry dates are local dates); it defaults to now's UTC date."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = local_today or now.date()

    if facts.in_use_since is not None:
        return Readiness(IN_USE, ("use_incident_open",))
    if facts.monitored and facts.door == "open" and facts.aed_present is False:
        return Readiness(IN_USE, ("cabinet_open_aed_removed",))

    hard: list[str] = []
    soft: list[str] = []
    for name, expiry in (("pad", facts.pad_expiry), ("battery", facts.battery_expiry)):
        bad, warn = _expiry_reasons(name, expiry, today, policy.expiry_attention_days)
        hard += bad
        soft += warn

    interval = facts.inspection_interval_days or policy.inspection_interval_days
    reference: datetime | None = facts.last_inspection_at
    if reference is None and facts.install_date is not None:
        reference = datetime.combine(facts.install_date, datetime.min.time(), tzinfo=now.tzinfo)
    if reference is None:
        soft.append("never_inspected")
    else:
        due = reference + timedelta(days=interval)
        if now > due:
            hard.append("inspection_overdue")
        elif now > due - timedelta(days=policy.inspection_due_soon_days):
            soft.append("inspection_due_soon")

    if hard:
        return Readiness(NOT_READY, tuple(hard))

    if facts.monitored:
        interval_s = facts.report_interval_s or policy.default_report_interval_s
        window = timedelta(seconds=interval_s * policy.liveness_intervals)
        if facts.device_last_seen_at is None or now - facts.device_last_seen_at > window:
            return Readiness(UNKNOWN, ("device_silent",))
        sensor: list[str] = []
        if facts.self_test == "fail":
            sensor.append("self_test_failed")
        if facts.aed_present is False:
            sensor.append("aed_missing")
        if policy.temp_out_of_range(facts.temp_c):
            sensor.append("temperature_out_of_range")
        if sensor:
            return Readiness(NOT_READY, tuple(sensor))
        if policy.battery_low(facts.battery_pct):
            soft.append("battery_low")

    if soft:
        return Readiness(ATTENTION, tuple(soft))
    return Readiness(READY)
