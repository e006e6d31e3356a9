"""The one evaluation of an AED: its stored facts in, its status with reasons and the set
of alerts that should be open out.

It is pure (no database, no clock of its own) and written once; ingest, the registry
editor, inspections, restocks and every scheduler job apply it to the AEDs they touch
(:mod:`app.aeds.refresh`), and the reconciliation applies it to all of them every minute
(:mod:`app.aeds.reconcile`). So the same facts always give the same answer, whichever
process saw them first.

Status precedence, most urgent first:

1. ``in_use``: a use incident is open, or the AED was taken from its cabinet (outside
   maintenance) since the last incident was closed.
2. ``not_ready`` from dated facts that hold whatever the sensors say: pads or battery
   expired, monthly check overdue.
3. ``unknown``: the device is silent past its liveness window, or its gateway is
   offline, stopped or silent: its readings can no longer be trusted.
4. ``not_ready`` from sensors: self-test failed, AED missing, temperature out of range.
5. ``attention``: something expires within the lead time, a check is due soon or was
   never made, battery low, an expiry date never recorded.
6. ``ready``.

The door and the AED's presence tell one story per opening: a cabinet opened with the
AED inside is ``cabinet_opened``, left open past the limit it becomes
``door_open_too_long``, and once the AED is out it is the use incident ``aed_in_use``
alone. Facts older than ``presence_reset_at`` (the last incident closed by a person, or
the end of maintenance) belong to a story already told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from app.aeds.inspection_schedule import CheckState, check_schedule
from app.alerts.apply import Wanted
from app.alerts.policy import AlertPolicy
from app.alerts.stages import EXPIRED, lead_stage, stage_severity
from app.config import ReadinessPolicy
from app.gateways.presence import gateway_presence
from device_agent.protocol.thresholds import battery_low, temp_out_of_range

READY = "ready"
ATTENTION = "attention"
NOT_READY = "not_ready"
IN_USE = "in_use"
UNKNOWN = "unknown"
STATUSES = (READY, ATTENTION, NOT_READY, IN_USE, UNKNOWN)

#: Kinds whose facts come from the device: left as they are while it cannot be heard.
SENSOR_KINDS = frozenset({"self_test_failed", "temperature_out_of_range", "battery_low"})
#: One opening, one story: at most one of these is open for an AED at a time.
OPENING_KINDS = ("aed_in_use", "door_open_too_long", "cabinet_opened")
#: Moments are looked at this long after they pass (the rules compare strictly).
_PAST = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class EvaluationPolicy:
    """Every knob the evaluation reads, taken from ReadinessPolicy and AlertPolicy (the
    defaults live there: :meth:`defaults`)."""

    expiry_attention_days: int
    expiry_lead_days: tuple[int, ...]
    critical_within_days: int
    battery_low_pct: int
    temp_min_c: float
    temp_max_c: float
    inspection_interval_days: int
    inspection_due_soon_days: int
    liveness_intervals: int
    default_report_interval_s: int
    door_open_limit: timedelta
    #: A gateway's `offline` will counts once it has stood this long (reconnect flaps).
    offline_grace: timedelta
    # Derived once: the lead stages nearest first, and every number of days left at
    # which an answer changes, largest first.
    leads_ascending: tuple[int, ...] = field(init=False, repr=False)
    day_boundaries: tuple[int, ...] = field(init=False, repr=False)
    #: How long before a check's due moment the "due soon" answer is looked at.
    due_soon_before: timedelta = field(init=False, repr=False)

    def __post_init__(self) -> None:
        leads = tuple(sorted(self.expiry_lead_days))
        object.__setattr__(self, "leads_ascending", leads)
        bounds = {self.expiry_attention_days, self.critical_within_days, *leads, EXPIRED}
        object.__setattr__(self, "day_boundaries", tuple(sorted(bounds, reverse=True)))
        object.__setattr__(self, "due_soon_before",
                           timedelta(days=self.inspection_due_soon_days) - _PAST)

    @classmethod
    def defaults(cls) -> EvaluationPolicy:
        return cls.of(ReadinessPolicy(), AlertPolicy())

    @classmethod
    def of(cls, readiness: ReadinessPolicy, alerts: AlertPolicy) -> EvaluationPolicy:
        return cls(
            expiry_attention_days=readiness.expiry_attention_days,
            expiry_lead_days=tuple(alerts.expiry_lead_days),
            critical_within_days=alerts.critical_within_days,
            battery_low_pct=readiness.battery_low_pct, temp_min_c=readiness.temp_min_c,
            temp_max_c=readiness.temp_max_c,
            inspection_interval_days=readiness.inspection_interval_days,
            inspection_due_soon_days=readiness.inspection_due_soon_days,
            liveness_intervals=readiness.liveness_intervals,
            default_report_interval_s=readiness.default_report_interval_s,
            door_open_limit=timedelta(minutes=alerts.door_open_limit_min),
            offline_grace=timedelta(seconds=readiness.offline_grace_s),
        )

    def liveness_window(self, report_interval_s: int | None) -> timedelta:
        interval = report_interval_s or self.default_report_interval_s
        return timedelta(seconds=interval * self.liveness_intervals)


@dataclass(slots=True)  # not frozen: made per AED per pass; a frozen __init__ costs 10x
class AedFacts:
    """What is stored about one AED and the device and gateway behind it."""

    asset_id: int
    site_id: int | None = None
    # Dated consumables as the AED really has them (see app.aeds.facts.effective_*).
    pad_expiry: date | None = None
    battery_expiry: date | None = None
    last_inspection_at: datetime | None = None
    install_date: date | None = None
    inspection_interval_days: int | None = None
    in_use_since: datetime | None = None
    maintenance_until: datetime | None = None
    presence_reset_at: datetime | None = None
    # Monitoring: a device bound to the AED, behind a gateway.
    monitored: bool = False
    device_id: str | None = None
    device_last_seen_at: datetime | None = None
    device_created_at: datetime | None = None
    gateway_id: str | None = None
    gateway_state: str | None = None
    gateway_state_received_at: datetime | None = None
    gateway_last_seen_at: datetime | None = None
    gateway_created_at: datetime | None = None
    report_interval_s: int | None = None
    battery_pct: int | None = None
    self_test: str | None = None
    temp_c: float | None = None
    door: str | None = None
    door_opened_at: datetime | None = None
    aed_present: bool | None = None
    aed_removed_at: datetime | None = None


@dataclass(slots=True)  # not frozen: made per AED per pass; a frozen __init__ costs 10x
class Evaluation:
    status: str
    reasons: tuple[str, ...]
    wanted: tuple[Wanted, ...] = ()
    #: Kinds that cannot be judged now (their facts are stale): left as they are.
    unjudged: frozenset[str] = frozenset()
    #: The AED was taken out: the use incident starts at this moment (stored by apply).
    incident_starts_at: datetime | None = None
    #: With the facts unchanged, the answer changes next at this moment (a silence
    #: window, a check falling due, a door limit) or on this local day (an expiry stage).
    changes_at: datetime | None = None
    changes_on: date | None = None

    @property
    def reason_text(self) -> str:
        return ",".join(self.reasons)

    def wanted_kinds(self) -> frozenset[str]:
        return frozenset(w.kind for w in self.wanted)


def _day_of(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment is not None else None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _newer(moment: datetime | None, reset: datetime | None) -> bool:
    """A fact that belongs to the current story (after the last reset)."""
    if moment is None:
        return reset is None
    return reset is None or moment > reset


def door_open_since(facts: AedFacts) -> datetime | None:
    """Since when the open door counts as open for this story: its opening, or the end
    of the story it belonged to (an incident closed, a maintenance visit ended)."""
    if facts.door != "open":
        return None
    opened, reset = facts.door_opened_at, facts.presence_reset_at
    if opened is None:
        return reset
    return max(opened, reset) if reset is not None else opened


@dataclass(frozen=True, slots=True)
class Liveness:
    heard: bool  # the device's readings can be trusted now
    gateway_down: bool
    device_silent: bool


#: An AED without a device: nothing to hear.
_UNMONITORED = Liveness(heard=False, gateway_down=False, device_silent=False)
_NOTHING: frozenset[str] = frozenset()


def liveness_of(facts: AedFacts, now: datetime, policy: EvaluationPolicy) -> Liveness:
    if not facts.monitored:
        return _UNMONITORED
    window = policy.liveness_window(facts.report_interval_s)
    gateway_down = gateway_presence(
        facts.gateway_state, facts.gateway_state_received_at, facts.gateway_last_seen_at,
        facts.gateway_created_at, window, policy.offline_grace, now).down
    device_seen = facts.device_last_seen_at or facts.device_created_at
    # A device never heard from gets the window from when it was registered: a new
    # cabinet is not "silent" before it had a chance to report.
    device_silent = device_seen is None or now - device_seen > window
    return Liveness(heard=not (gateway_down or device_silent), gateway_down=gateway_down,
                    device_silent=device_silent)


class _Next:
    """The earliest moment and local day at which the answer can change."""

    __slots__ = ("at", "on")

    def __init__(self) -> None:
        self.at: datetime | None = None
        self.on: date | None = None

    def moment(self, when: datetime | None, now: datetime) -> None:
        if when is not None and when > now and (self.at is None or when < self.at):
            self.at = when

    def day(self, when: date) -> None:
        if self.on is None or when < self.on:
            self.on = when


@dataclass(frozen=True, slots=True)
class _Part:
    """The words of one dated consumable (reasons and alert kinds)."""

    missing: str
    expired: str
    expiring: str


_PADS = _Part("pad_expiry_missing", "pad_expired", "pad_expiring")
_BATTERY = _Part("battery_expiry_missing", "battery_expired", "battery_expiring")


def _expiry(part: _Part, expiry: date | None, today: date, policy: EvaluationPolicy,
            hard: list[str], soft: list[str], wanted: list[Wanted],
            upcoming: _Next) -> None:
    if expiry is None:
        soft.append(part.missing)
        return
    days_left = (expiry - today).days
    # The next day the days left reach a boundary (attention, a stage, critical, expiry).
    for boundary in policy.day_boundaries:
        if boundary < days_left:
            upcoming.day(today + timedelta(days=days_left - boundary))
            break
    if days_left <= EXPIRED:
        hard.append(part.expired)
        wanted.append(Wanted(part.expired, "critical", EXPIRED, {"expiry": expiry.isoformat()}))
        return
    if days_left <= policy.expiry_attention_days:
        soft.append(part.expiring)
    if days_left <= policy.leads_ascending[-1]:
        wanted.append(Wanted(
            part.expiring, stage_severity(expiry, today, policy.critical_within_days),
            lead_stage(days_left, policy.leads_ascending), {"expiry": expiry.isoformat()}))


def evaluate(facts: AedFacts, now: datetime, today: date,
             policy: EvaluationPolicy) -> Evaluation:
    """Status and wanted alerts of one AED at ``now`` (aware UTC); ``today`` is the
    calendar day where the AED stands (expiry dates are local dates)."""
    hard: list[str] = []
    soft: list[str] = []
    wanted: list[Wanted] = []
    unjudged: set[str] = set()

    upcoming = _Next()
    _expiry(_PADS, facts.pad_expiry, today, policy, hard, soft, wanted, upcoming)
    _expiry(_BATTERY, facts.battery_expiry, today, policy, hard, soft, wanted, upcoming)

    schedule = check_schedule(
        facts.last_inspection_at, facts.install_date,
        facts.inspection_interval_days or policy.inspection_interval_days,
        policy.inspection_due_soon_days, now)
    if schedule.due_at is not None:
        upcoming.moment(schedule.due_at - policy.due_soon_before, now)
        upcoming.moment(schedule.due_at + _PAST, now)
    if schedule.state is CheckState.OVERDUE:
        hard.append("inspection_overdue")
        wanted.append(Wanted("inspection_overdue", detail={"due": _day_of(schedule.due_at)}))
    elif schedule.state is CheckState.DUE_SOON:
        soft.append("inspection_due_soon")
        wanted.append(Wanted("inspection_due", detail={"due": _day_of(schedule.due_at)}))
    elif schedule.state is CheckState.NEVER:
        soft.append("never_inspected")
        wanted.append(Wanted("inspection_due", detail={"due": None}))

    live = liveness_of(facts, now, policy)
    if facts.monitored:
        window = policy.liveness_window(facts.report_interval_s)
        for seen in (facts.device_last_seen_at or facts.device_created_at,
                     facts.gateway_last_seen_at or facts.gateway_created_at):
            if seen is not None:
                upcoming.moment(seen + window + _PAST, now)
        if facts.gateway_state_received_at is not None:
            upcoming.moment(facts.gateway_state_received_at + policy.offline_grace, now)
    incident_starts_at: datetime | None = None
    in_use = facts.in_use_since is not None
    in_maintenance = facts.maintenance_until is not None and facts.maintenance_until > now
    if facts.monitored and live.heard and not in_maintenance:
        reset = facts.presence_reset_at
        taken = facts.aed_present is False and _newer(facts.aed_removed_at, reset)
        opened = facts.door == "open" and _newer(facts.door_opened_at, reset)
        open_since = door_open_since(facts)
        if taken and not in_use:
            in_use = True
            incident_starts_at = facts.aed_removed_at or now
        if in_use:
            pass  # the incident below tells the story
        elif open_since is not None and now - open_since >= policy.door_open_limit:
            # Also a door a volunteer left open after their visit (counted from its end).
            wanted.append(Wanted("door_open_too_long", detail={
                "since": _iso(open_since),
                "limit_min": policy.door_open_limit.total_seconds() / 60}))
        elif opened:
            wanted.append(Wanted("cabinet_opened",
                                      detail={"at": _iso(facts.door_opened_at)}))
        if open_since is not None and not in_use:
            upcoming.moment(open_since + policy.door_open_limit, now)
    elif in_maintenance:
        upcoming.moment(facts.maintenance_until, now)
    elif facts.monitored:
        # Unheard: an opening may be going on, or not; the last word stands.
        unjudged.update(("cabinet_opened", "door_open_too_long"))
    if in_use:
        since = facts.in_use_since or incident_starts_at
        cause = "use_incident_open" if facts.in_use_since else "cabinet_open_aed_removed"
        wanted.append(Wanted("aed_in_use", detail={"since": _iso(since), "cause": cause}))

    if facts.monitored and live.device_silent and not live.gateway_down:
        wanted.append(Wanted("device_silent", detail={
            "device": facts.device_id, "last_seen": _iso(facts.device_last_seen_at)}))

    sensor: list[str] = []
    if facts.monitored and live.heard:
        if facts.self_test == "fail":
            sensor.append("self_test_failed")
            wanted.append(Wanted("self_test_failed"))
        if facts.aed_present is False:
            sensor.append("aed_missing")
        if temp_out_of_range(facts.temp_c, policy.temp_min_c, policy.temp_max_c):
            sensor.append("temperature_out_of_range")
            wanted.append(Wanted("temperature_out_of_range", detail={
                "temp_c": facts.temp_c, "min_c": policy.temp_min_c,
                "max_c": policy.temp_max_c}))
        if battery_low(facts.battery_pct, policy.battery_low_pct):
            soft.append("battery_low")
            wanted.append(Wanted("battery_low", detail={
                "battery_pct": facts.battery_pct, "min_pct": policy.battery_low_pct}))
    elif facts.monitored:
        unjudged.update(SENSOR_KINDS)

    reasons: tuple[str, ...]
    if in_use:
        status = IN_USE
        reasons = ("use_incident_open",) if facts.in_use_since else ("cabinet_open_aed_removed",)
    elif hard:
        status, reasons = NOT_READY, tuple(hard)
    elif facts.monitored and not live.heard:
        status = UNKNOWN
        reasons = ("gateway_offline",) if live.gateway_down else ("device_silent",)
    elif sensor:
        status, reasons = NOT_READY, tuple(sensor)
    elif soft:
        status, reasons = ATTENTION, tuple(soft)
    else:
        status, reasons = READY, ()
    return Evaluation(status, reasons, tuple(wanted),
                      frozenset(unjudged) if unjudged else _NOTHING, incident_starts_at,
                      upcoming.at, upcoming.on)
