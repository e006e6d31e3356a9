"""Faults, what each should raise, and the verdict: latency against its deadline, the
notification at the SMTP server, and whether it was told once.

"Told once" (``exactly_one``): exactly one alert of the expected kind on the subject,
and no other alert about the fault's subjects (its AEDs, gateway or station) from the
injection to the end of the drill, nor one that a reconciliation would still open at
the end. The only other alerts allowed are earlier chapters of the same opening that
the expected alert superseded (a door held open is first `cabinet_opened`, then
`door_open_too_long` in its place: one open alert at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.benchmarks.drill_support.gateway import Sent
from tests.benchmarks.drill_support.mail import Mail, normalised
from tests.benchmarks.drill_support.watch import SeenAlert

Subject = tuple[str, str]
#: Urgent notifications leave within this long of the MQTT message (design.md).
URGENT_NOTIFY_S = 5.0


@dataclass
class Fault:
    key: str
    what: str
    expected: str
    subject: Subject
    scope: frozenset[Subject]
    deadline_s: float
    deadline_text: str
    via: str
    urgent: bool = False
    chapters: tuple[str, ...] = ()
    #: The deadline counts from t0 + offset (a door limit).
    offset_s: float = 0.0
    #: False: only an hourly job covers it, so the drill shows the coverage (the job's
    #: next run) but cannot time it; it does not enter the figure.
    measured: bool = True
    #: Alerts about the scope count from the start of the watch, not from the baseline
    #: (a fault present before ingest started).
    before_baseline: bool = False
    #: A control experiment: shown to explain another fault, not part of the figure.
    diagnostic: bool = False
    #: Watched at least this long after t0 whatever happens (an AED taken with the door
    #: left open must still have no door_open_too_long once the limit has passed).
    watch_s: float = 0.0
    t0: float | None = None
    first_msg: Sent | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def due(self) -> float | None:
        return None if self.t0 is None else self.t0 + self.offset_s + self.deadline_s


@dataclass(frozen=True)
class NotificationRow:
    alert_id: int
    event: str
    subject: str
    body: str
    status: str


@dataclass
class Verdict:
    fault: Fault
    alert: SeenAlert | None
    latency_s: float | None
    opened_at_s: float | None
    notify_s: float | None
    exactly_one: bool
    story: list[SeenAlert]
    extra: list[SeenAlert]
    raw_hop_s: float | None
    checks: dict[str, bool] = field(default_factory=dict)
    #: Which process opened the alert: a scheduler job (its run's `now` is the alert's
    #: opened_at) or a writer (ingest, a restock).
    raised_by: str | None = None

    @property
    def within(self) -> bool | None:
        if self.latency_s is None:
            return None
        return self.latency_s <= self.fault.deadline_s

    @property
    def ratio(self) -> float | None:
        if self.latency_s is None:
            return None
        return max(self.latency_s, 0.0) / self.fault.deadline_s

    @property
    def notify_ratio(self) -> float | None:
        if not self.fault.urgent or self.notify_s is None:
            return None
        return max(self.notify_s, 0.0) / URGENT_NOTIFY_S

    @property
    def ok(self) -> bool:
        if self.fault.diagnostic:
            return True
        if not self.fault.measured:
            return self.exactly_one and all(self.checks.values())
        timely = self.within is True
        told = not self.fault.urgent or (self.notify_ratio is not None
                                         and self.notify_ratio <= 1.0)
        return timely and told and self.exactly_one and all(self.checks.values())


def mail_for(alert: SeenAlert, rows: Sequence[NotificationRow], mails: Sequence[Mail]
             ) -> float | None:
    """When the first message about the alert's opening reached the SMTP server:
    matched by subject and body to the outbox row the system wrote for it."""
    wanted = [(normalised(r.subject), normalised(r.body)) for r in rows
              if r.alert_id == alert.id and r.event == "opened"]
    times = [m.received for m in mails for subject, body in wanted
             if m.subject == subject and m.body == body]
    return min(times) if times else None


def judge(fault: Fault, alerts: Iterable[SeenAlert], baseline_id: int,
          rows: Sequence[NotificationRow], mails: Sequence[Mail],
          sweep_opens: Iterable[tuple[Subject, str]]) -> Verdict:
    """The verdict on one fault. `sweep_opens`: what a reconciliation run at the end
    (rolled back) would still open; for a fault only an hourly job covers, that is its
    coverage; for any other fault it is an alert the live path missed."""
    start = fault.offset_s + (fault.t0 or 0.0)
    about = [a for a in alerts if a.subject in fault.scope
             and (fault.before_baseline or a.id > baseline_id)]
    main = [a for a in about if a.kind == fault.expected and a.subject == fault.subject]
    alert = main[0] if main else None
    story = [a for a in about if a.kind in fault.chapters and a.subject == fault.subject
             and a.resolution == f"superseded by {fault.expected}"]
    extra = [a for a in about if a not in main and a not in story]
    late = [(s, k) for s, k in sweep_opens if s in fault.scope]
    covered = [x for x in late if x == (fault.subject, fault.expected)]
    if fault.measured or main:
        covered = []
    missed = [x for x in late if x not in covered]
    if covered:
        fault.notes.append("covered by the sweep: a reconciliation run now opens "
                           f"{fault.expected} (the scheduler runs it {fault.deadline_text})")
    if missed:
        fault.notes.append("a reconciliation at the end would still open: "
                           + ", ".join(f"{k} on {s[0]} {s[1]}" for s, k in missed))
    latency = opened = notify = None
    if alert is not None and fault.t0 is not None:
        latency = alert.seen_open - start
        opened = alert.opened_at.timestamp() - start
        received = mail_for(alert, rows, mails)
        notify = None if received is None else received - start
    return Verdict(fault, alert, latency, opened, notify,
                   exactly_one=len(main) + len(covered) == 1 and not extra and not missed,
                   story=story, extra=extra, raw_hop_s=None)


def describe(alert: SeenAlert, start: float | None) -> dict[str, Any]:
    at = None if start is None else round(alert.seen_open - start, 3)
    return {"id": alert.id, "kind": alert.kind, "subject": list(alert.subject),
            "seen_after_s": at, "status": alert.status, "resolution": alert.resolution}
