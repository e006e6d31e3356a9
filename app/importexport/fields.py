"""Row validation for sites and assets: text in, typed values or per-field errors out."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from app.models import ASSET_KINDS, SITE_KINDS

SITE_COLUMNS = ("external_id", "name", "name_en", "kind", "address", "lat", "lon",
                "opening_hours", "team_code", "contact_name", "contact_phone")
ASSET_COLUMNS = ("external_id", "site_external_id", "kind", "name", "name_en", "lat", "lon",
                 "manufacturer", "model", "serial", "pad_expiry", "battery_expiry", "cabinet",
                 "access_hours", "indoor", "public")


class RowError(ValueError):
    pass


class RowProblem(dict[str, Any]):
    """A row the file format already found wrong (more cells than the header, a feature
    that is not an object...): parse_site and parse_asset report `reason` for its line."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def _text(row: dict[str, Any], key: str, required: bool = False, max_len: int = 200) -> str | None:
    value = row.get(key)
    if value is None:
        value = ""
    if isinstance(value, dict | list):  # GeoJSON properties
        what = "a list" if isinstance(value, list) else "an object"
        raise RowError(f"{key} must be text, not {what}")
    value = str(value).strip()
    if not value:
        if required:
            raise RowError(f"{key} is required")
        return None
    if len(value) > max_len:
        raise RowError(f"{key} is longer than {max_len} characters")
    if "\x00" in value:  # PostgreSQL refuses NUL in text (JSON can say \u0000)
        raise RowError(f"{key} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate such as JSON's "\ud800"
        raise RowError(f"{key} contains an invalid character (a lone surrogate)") from None
    return value


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:30] + "…"


def _float(row: dict[str, Any], key: str, lo: float, hi: float) -> float:
    raw = row.get(key)
    try:
        value = float(str(raw).strip())
    except (TypeError, ValueError):
        raise RowError(f"{key} is not a number: {_shown(raw)}") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise RowError(f"{key} must be between {lo} and {hi}")
    return value


def _date(row: dict[str, Any], key: str) -> date | None:
    raw = _text(row, key, max_len=20)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise RowError(f"{key} is not a date (YYYY-MM-DD): {raw!r}") from None


def _bool(row: dict[str, Any], key: str, default: bool) -> bool:
    raw = _text(row, key, max_len=10)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "y", "是"}:
        return True
    if lowered in {"0", "false", "no", "n", "否"}:
        return False
    raise RowError(f"{key} must be yes or no: {raw!r}")


def _external_id(row: dict[str, Any], key: str = "external_id") -> str:
    value = _text(row, key, required=True, max_len=100)
    assert value is not None
    return value


def _check_problem(row: dict[str, Any]) -> None:
    if isinstance(row, RowProblem):
        raise RowError(row.reason)


def _kind(row: dict[str, Any], kinds: Sequence[str], default: str) -> str:
    kind = _text(row, "kind") or default
    if kind not in kinds:
        raise RowError(f"kind must be one of {', '.join(kinds)}")
    return kind


def parse_site(row: dict[str, Any]) -> dict[str, Any]:
    _check_problem(row)
    kind = _kind(row, SITE_KINDS, "other")
    return {
        "external_id": _external_id(row),
        "name": _text(row, "name", required=True),
        "name_en": _text(row, "name_en"),
        "kind": kind,
        "address": _text(row, "address", max_len=300),
        "lat": _float(row, "lat", -90, 90),
        "lon": _float(row, "lon", -180, 180),
        "opening_hours": _text(row, "opening_hours"),
        "team_code": _text(row, "team_code", max_len=64),
        "contact_name": _text(row, "contact_name", max_len=100),
        "contact_phone": _text(row, "contact_phone", max_len=40),
    }


def parse_asset(row: dict[str, Any]) -> dict[str, Any]:
    _check_problem(row)
    kind = _kind(row, ASSET_KINDS, "aed")
    return {
        "external_id": _external_id(row),
        "site_external_id": _external_id(row, "site_external_id"),
        "kind": kind,
        "name": _text(row, "name", required=True),
        "name_en": _text(row, "name_en"),
        "lat": _float(row, "lat", -90, 90),
        "lon": _float(row, "lon", -180, 180),
        "manufacturer": _text(row, "manufacturer", max_len=100),
        "model": _text(row, "model", max_len=100),
        "serial": _text(row, "serial", max_len=100),
        "pad_expiry": _date(row, "pad_expiry"),
        "battery_expiry": _date(row, "battery_expiry"),
        "cabinet": _text(row, "cabinet"),
        "access_hours": _text(row, "access_hours"),
        "indoor": _bool(row, "indoor", False),
        "public": _bool(row, "public", True),
    }
