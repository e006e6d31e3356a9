"""The training programme's settings: the ``[training]`` table of config/settings.toml,
then the environment, then the app's overrides (the same names as the environment).

Every default is the dataclass field's: the file and the environment only override.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.config import DEFAULTS_FILE, ConfigError, Settings

SECTION = "training"
#: Environment (and override) names of the settings that have one.
YEARS = "CERTIFICATE_VALID_YEARS"
LEADS = "TRAINING_REMINDER_LEAD_DAYS"
DEFAULT_MINIMUM = "TRAINING_MIN_RESPONDERS_DEFAULT"


@dataclass(frozen=True)
class TrainingPolicy:
    #: The district's rule to confirm: the Red Cross certificate is commonly said to
    #: last 3 years (shared/domain.md).
    certificate_valid_years: int = 3
    reminder_lead_days: tuple[int, ...] = (90, 30)
    #: Responders with a valid certificate a site of that kind needs.
    min_responders: Mapping[str, int] = field(
        default_factory=lambda: {"party_service_station": 2})
    min_responders_default: int = 0

    def minimum_for(self, kind: str, own: int | None) -> int:
        """A site's minimum: its own when set, else its kind's."""
        if own is not None:
            return own
        return self.min_responders.get(kind, self.min_responders_default)


def _whole(name: str, value: Any, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ConfigError(name, f"expected a whole number, got {value!r}") from None
    if isinstance(value, float) and not value.is_integer():
        raise ConfigError(name, f"expected a whole number, got {value!r}")
    if not low <= number <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {number}")
    return number


def _leads(value: Any) -> tuple[int, ...]:
    items = value.split(",") if isinstance(value, str) else list(value)
    days = tuple(sorted({_whole(LEADS, v, 1, 3650) for v in items}, reverse=True))
    if not days:
        raise ConfigError(LEADS, "needs at least one lead time in days")
    return days


def load_training_policy(overrides: Mapping[str, Any] | None = None,
                         env: Mapping[str, str] | None = None,
                         path: Path = DEFAULTS_FILE) -> TrainingPolicy:
    env = os.environ if env is None else env
    overrides = overrides or {}
    raw: dict[str, Any] = tomllib.loads(path.read_text("utf-8")).get(SECTION, {})

    def pick(name: str, key: str) -> Any:
        for source in (overrides, env):
            if name in source:
                return source[name]
        return raw.get(key)

    values: dict[str, Any] = {}
    years = pick(YEARS, "certificate_valid_years")
    if years is not None:
        values["certificate_valid_years"] = _whole(YEARS, years, 1, 50)
    leads = pick(LEADS, "reminder_lead_days")
    if leads is not None:
        values["reminder_lead_days"] = _leads(leads)
    minimum = pick(DEFAULT_MINIMUM, "min_responders_default")
    if minimum is not None:
        values["min_responders_default"] = _whole(DEFAULT_MINIMUM, minimum, 0, 1000)
    by_kind = raw.get("min_responders")
    if by_kind is not None:
        if not isinstance(by_kind, dict):
            raise ConfigError("training.min_responders", "must be a table of site kinds")
        values["min_responders"] = {
            str(kind): _whole(f"training.min_responders.{kind}", n, 0, 1000)
            for kind, n in by_kind.items()}
    return TrainingPolicy(**values)


#: Per settings object (one per app): read once, not on every request.
_LOADED: dict[int, tuple[Settings, TrainingPolicy]] = {}


def training_policy(settings: Settings) -> TrainingPolicy:
    """The policy of the app these settings belong to (its overrides are
    ``settings.extra``), read once per settings object."""
    known = _LOADED.get(id(settings))
    if known is None or known[0] is not settings:
        known = _LOADED[id(settings)] = (settings, load_training_policy(settings.extra))
    return known[1]
