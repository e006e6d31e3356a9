"""Alert, scheduler and notification settings: config/alerts.toml < env < app overrides.

Every default is the dataclass field's, written once: the file and the environment
only override. Environment and override names are ``ALERTS_<FIELD>`` (``ALERTS_JOBS``
for the enabled jobs).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from app.config import PROJECT_ROOT, ConfigError, Environ, Overrides

ALERTS_FILE = PROJECT_ROOT / "config" / "alerts.toml"
DEFAULT_INTERVAL_S = 3600.0


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
    #: Job ids to run (None: every job the scheduler defines; it checks the names).
    enabled_jobs: tuple[str, ...] | None = None
    retry_base_s: float = 30
    retry_max_s: float = 3600
    max_attempts: int = 30
    send_timeout_s: float = 10
    channels_file: Path | None = None

    def interval_of(self, job_id: str) -> float:
        if self.job_interval_s:
            return self.job_interval_s
        return float(self.intervals.get(job_id, DEFAULT_INTERVAL_S))


#: Where each field sits in config/alerts.toml (top level unless named here).
_SECTION = {"lease_s": "scheduler", "leader": "scheduler", "intervals": "scheduler",
            "retry_base_s": "notify", "retry_max_s": "notify", "max_attempts": "notify",
            "send_timeout_s": "notify", "channels_file": "notify"}
#: Set only from the environment or overrides, under these names.
_ENV_ONLY = {"enabled_jobs": "ALERTS_JOBS", "job_interval_s": "ALERTS_JOB_INTERVAL_S"}
_DICTS = ("repeat_after_min", "intervals")
_INTERVAL_PREFIX = "ALERTS_INTERVAL_"


def _days(name: str, value: Any) -> tuple[int, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        days = tuple(sorted({int(v) for v in items}, reverse=True))
    except (TypeError, ValueError):
        raise ConfigError(name, f"expected a list of whole days, got {value!r}") from None
    if not days or days[-1] <= 0:
        raise ConfigError(name, "needs at least one lead time, each above 0 days")
    return days


def _number(name: str, value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ConfigError(name, f"expected a number, got {value!r}") from None


def _coerce(name: str, key: str, value: Any, kind: Any) -> Any:
    if key in ("expiry_lead_days", "stock_lead_days"):
        return _days(name, value)
    if key == "enabled_jobs":
        jobs = tuple(j.strip() for j in str(value).split(",") if j.strip())
        return jobs or None
    if key == "job_interval_s":
        return float(value) if value else None
    if key == "channels_file":
        if not value:
            return None
        path = Path(str(value))
        return path if path.is_absolute() else PROJECT_ROOT / path
    if key == "leader":
        if value not in {"auto", "advisory", "lease"}:
            raise ConfigError(name, f"must be auto, advisory or lease, got {value!r}")
        return str(value)
    if key in _DICTS:
        return dict(value)
    if kind is bool:
        return str(value).strip().lower() in {"1", "true", "yes", "on"}
    if kind in (int, float):
        return _number(name, value, kind)
    return value


def load_alert_policy(overrides: Overrides = None, env: Environ = None,
                      path: Path = ALERTS_FILE) -> AlertPolicy:
    env = os.environ if env is None else env
    overrides = overrides or {}
    raw: dict[str, Any] = tomllib.loads(path.read_text("utf-8")) if path.exists() else {}
    kinds = get_type_hints(AlertPolicy)
    values: dict[str, Any] = {}
    for f in fields(AlertPolicy):
        name = _ENV_ONLY.get(f.name, f"ALERTS_{f.name.upper()}")
        if name in overrides:
            value = overrides[name]
        elif name in env and f.name not in _DICTS:
            value = env[name]
        elif f.name in _ENV_ONLY:
            continue
        else:
            section = raw.get(_SECTION[f.name], {}) if f.name in _SECTION else raw
            if f.name not in section:
                continue
            value = section[f.name]
        values[f.name] = _coerce(name, f.name, value, kinds[f.name])
    # One job's period from the environment: ALERTS_INTERVAL_RECONCILE=60, say.
    intervals = dict(values.get("intervals", {}))
    for source in (env, overrides):
        for key, value in source.items():
            if key.startswith(_INTERVAL_PREFIX):
                intervals[key[len(_INTERVAL_PREFIX):].lower()] = _number(key, value, float)
    if intervals:
        values["intervals"] = intervals
    return AlertPolicy(**values)
