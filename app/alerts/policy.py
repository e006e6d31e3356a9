"""Alert, scheduler and notification settings: config/alerts.toml < env < app overrides."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config import PROJECT_ROOT, ConfigError

ALERTS_FILE = PROJECT_ROOT / "config" / "alerts.toml"
JOB_IDS = ("expiry_scan", "restock", "liveness", "door_watch", "inspections_due",
           "escalation", "notify", "maintenance", "config_push", "digest")


@dataclass(frozen=True)
class AlertPolicy:
    expiry_lead_days: tuple[int, ...] = (90, 30, 7)
    stock_lead_days: tuple[int, ...] = (90, 30, 7)
    critical_within_days: int = 7
    restock_lead_days: int = 30
    door_open_limit_min: float = 10
    repeat_after_min: Mapping[str, float] = field(
        default_factory=lambda: {"urgent": 10, "critical": 240, "warning": 0, "info": 0}
    )
    escalate_after_repeats: int = 2
    digest_hour: int = 8
    lease_s: float = 30
    leader: str = "auto"
    intervals: Mapping[str, float] = field(default_factory=dict)
    # Test/demo knob: when set, every job (the digest too) runs at this interval.
    job_interval_s: float | None = None
    enabled_jobs: tuple[str, ...] = JOB_IDS
    retry_base_s: float = 30
    retry_max_s: float = 3600
    max_attempts: int = 30
    send_timeout_s: float = 10
    channels_file: Path | None = None

    def interval_of(self, job_id: str) -> float:
        if self.job_interval_s:
            return self.job_interval_s
        return float(self.intervals.get(job_id, 3600))


def _days(name: str, value: Any) -> tuple[int, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        days = tuple(sorted({int(v) for v in items}, reverse=True))
    except (TypeError, ValueError):
        raise ConfigError(name, f"expected a list of whole days, got {value!r}") from None
    if not days or days[-1] <= 0:
        raise ConfigError(name, "needs at least one lead time, each above 0 days")
    return days


def load_alert_policy(
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    path: Path = ALERTS_FILE,
) -> AlertPolicy:
    env = os.environ if env is None else env
    overrides = overrides or {}
    raw: dict[str, Any] = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
    sched = raw.get("scheduler", {})
    notify = raw.get("notify", {})

    def pick(key: str, default: Any) -> Any:
        name = f"ALERTS_{key.upper()}"
        if name in overrides:
            return overrides[name]
        if name in env:
            return env[name]
        return default

    def num(key: str, default: Any, kind: type = float) -> Any:
        value = pick(key, default)
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"ALERTS_{key.upper()}", f"expected a number, got {value!r}") from None

    interval = pick("job_interval_s", None)
    enabled = pick("jobs", None)
    channels = pick("channels_file", notify.get("channels_file"))
    channels_path = None
    if channels:
        channels_path = Path(channels)
        if not channels_path.is_absolute():
            channels_path = PROJECT_ROOT / channels_path
    jobs = tuple(j.strip() for j in enabled.split(",") if j.strip()) if enabled else JOB_IDS
    unknown = set(jobs) - set(JOB_IDS)
    if unknown:
        raise ConfigError("ALERTS_JOBS", f"unknown jobs {sorted(unknown)}; known: {JOB_IDS}")
    leader = str(pick("leader", sched.get("leader", "auto")))
    if leader not in {"auto", "advisory", "lease"}:
        raise ConfigError("ALERTS_LEADER", f"must be auto, advisory or lease, got {leader!r}")
    return AlertPolicy(
        expiry_lead_days=_days("ALERTS_EXPIRY_LEAD_DAYS",
                               pick("expiry_lead_days", raw.get("expiry_lead_days", [90, 30, 7]))),
        stock_lead_days=_days("ALERTS_STOCK_LEAD_DAYS",
                              pick("stock_lead_days", raw.get("stock_lead_days", [90, 30, 7]))),
        critical_within_days=num("critical_within_days", raw.get("critical_within_days", 7), int),
        restock_lead_days=num("restock_lead_days", raw.get("restock_lead_days", 30), int),
        door_open_limit_min=num("door_open_limit_min", raw.get("door_open_limit_min", 10)),
        repeat_after_min=dict(raw.get("repeat_after_min", AlertPolicy().repeat_after_min)),
        escalate_after_repeats=num("escalate_after_repeats",
                                   raw.get("escalate_after_repeats", 2), int),
        digest_hour=num("digest_hour", raw.get("digest_hour", 8), int),
        lease_s=num("lease_s", sched.get("lease_s", 30)),
        leader=leader,
        intervals=dict(sched.get("intervals", {})),
        job_interval_s=float(interval) if interval else None,
        enabled_jobs=jobs,
        retry_base_s=num("retry_base_s", notify.get("retry_base_s", 30)),
        retry_max_s=num("retry_max_s", notify.get("retry_max_s", 3600)),
        max_attempts=num("max_attempts", notify.get("max_attempts", 30), int),
        send_timeout_s=num("send_timeout_s", notify.get("send_timeout_s", 10)),
        channels_file=channels_path,
    )
