"""Coverage settings: the defaults here, overridden by ``COVERAGE_<FIELD>`` from the
environment (or the same names in an override mapping, e.g. a test's).

The reach default is derived in docs/coverage.md: lay responders fetch an AED at about
2.3 m/s, so a three-minute round trip covers about 200 m each way on foot; paths are not
straight, so the straight-line reach is less: 160 m.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from app.config import PROJECT_ROOT, ConfigError

DEFAULT_AREA = PROJECT_ROOT / "config" / "coverage_area.geojson"
PREFIX = "COVERAGE_"
#: The straight-line approximation of the reach rule (app/coverage/reach.py) is checked
#: to well under a millimetre up to this distance; longer reaches are no AED's anyway.
MAX_REACH_M = 1000.0


@dataclass(frozen=True)
class CoverageSettings:
    #: Edge of a grid cell in metres (COVERAGE_CELL_M).
    cell_m: float = 25.0
    #: Straight-line distance from a cell's centre to an AED that still counts (m).
    reach_m: float = 160.0
    #: The area of interest: GeoJSON polygons (COVERAGE_AREA).
    area: Path = DEFAULT_AREA
    #: Optional demand weights: GeoJSON polygons with a ``weight`` property.
    weights: Path | None = None
    #: Optional candidate points for new AEDs (GeoJSON points); default: cell centres.
    candidates: Path | None = None
    #: Night for the 24/7-cabinet question: from this local hour to that one.
    night_from: int = 20
    night_to: int = 8
    #: An AED without readable hours: counted as open (True) or closed (False).
    unknown_hours_open: bool = False

    def __post_init__(self) -> None:
        if not 1.0 <= self.cell_m <= 1000.0:
            raise ConfigError("COVERAGE_CELL_M", f"must be 1–1000 metres, got {self.cell_m}")
        if not 0.0 < self.reach_m <= MAX_REACH_M:
            raise ConfigError("COVERAGE_REACH_M",
                              f"must be above 0 and at most {MAX_REACH_M:.0f} m, got {self.reach_m}")
        for name in ("night_from", "night_to"):
            if not 0 <= getattr(self, name) <= 23:
                raise ConfigError(f"COVERAGE_{name.upper()}", "must be an hour 0–23")

    @property
    def night_hours(self) -> tuple[int, ...]:
        """Local hours of the day (0–23) that count as night."""
        start, end = self.night_from, self.night_to
        if start == end:
            return tuple(range(24))
        return tuple(h % 24 for h in range(start, end + (24 if end < start else 0)))


#: How each field is written in the environment.
_KINDS = {"cell_m": "float", "reach_m": "float", "area": "path", "weights": "path",
          "candidates": "path", "night_from": "int", "night_to": "int",
          "unknown_hours_open": "bool"}


def _path(name: str, value: Any) -> Path | None:
    text = str(value).strip()
    if not text:
        return None
    path = Path(text)
    path = path if path.is_absolute() else PROJECT_ROOT / path
    if not path.is_file():
        raise ConfigError(name, f"no such file: {path}")
    return path


def _value(name: str, kind: str, value: Any) -> Any:
    if kind == "bool":
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(name, f"expected true or false, got {value!r}")
    if kind in ("float", "int"):
        try:
            return float(value) if kind == "float" else int(value)
        except (TypeError, ValueError):
            raise ConfigError(name, f"expected a number, got {value!r}") from None
    return _path(name, value)


def load_coverage_settings(env: Mapping[str, Any] | None = None,
                           overrides: Mapping[str, Any] | None = None) -> CoverageSettings:
    """The defaults, then the environment, then ``overrides`` (same names)."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in fields(CoverageSettings):
        name = PREFIX + f.name.upper()
        for source in (env, overrides or {}):
            if name in source:
                values[f.name] = _value(name, _KINDS[f.name], source[name])
    if values.get("area", DEFAULT_AREA) is None:
        raise ConfigError("COVERAGE_AREA", "needs a GeoJSON file of the area of interest")
    return CoverageSettings(**values)
