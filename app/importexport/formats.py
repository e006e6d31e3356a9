"""Reading and writing CSV and GeoJSON rows.

GeoJSON uses OpenStreetMap tags where one fits (`emergency=defibrillator`, `ref`,
`name:en`, `opening_hours`, `indoor`, `access`, `defibrillator:location`); facts OSM
has no tag for carry an `aed:` prefix.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from app.importexport.fields import ASSET_COLUMNS, SITE_COLUMNS


class FormatError(ValueError):
    pass


def detect_format(filename: str) -> str:
    lowered = filename.lower()
    if lowered.endswith((".geojson", ".json")):
        return "geojson"
    return "csv"


def read_csv(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number of the row's first line, row) pairs; the header is line 1."""
    if text.startswith("\ufeff"):
        text = text[1:]  # Excel writes a BOM
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or "external_id" not in reader.fieldnames:
        raise FormatError("the first line must be a header with an external_id column")
    start = reader.line_num + 1
    for row in reader:
        yield start, {k: v for k, v in row.items() if k is not None}
        start = reader.line_num + 1


def _osm_bool(value: Any) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _from_osm_bool(value: Any) -> str:
    if value is None:
        return ""
    return "true" if str(value).lower() in {"yes", "true", "1"} else "false"


def read_geojson(text: str, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(feature number, row) pairs, translating OSM tags back to our columns."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise FormatError("expected a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise FormatError("FeatureCollection without features")
    for number, feature in enumerate(features, start=1):
        row: dict[str, Any] = {}
        if isinstance(feature, dict):
            props = feature.get("properties") or {}
            geometry = feature.get("geometry") or {}
            coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
            if (isinstance(geometry, dict) and geometry.get("type") == "Point"
                    and isinstance(coords, list) and len(coords) >= 2):
                row["lon"], row["lat"] = coords[0], coords[1]
            if isinstance(props, dict):
                row.update(_untag(props, kind))
        yield number, row


def _untag(props: dict[str, Any], kind: str) -> dict[str, Any]:
    row: dict[str, Any] = {
        "external_id": props.get("ref"), "name": props.get("name"),
        "name_en": props.get("name:en"), "opening_hours": props.get("opening_hours"),
    }
    if kind == "assets":
        row.update({
            "site_external_id": props.get("aed:site_ref"),
            "kind": "aed" if props.get("emergency") == "defibrillator" else "first_aid_kit",
            "manufacturer": props.get("manufacturer"), "model": props.get("model"),
            "serial": props.get("aed:serial"), "pad_expiry": props.get("aed:pad_expiry"),
            "battery_expiry": props.get("aed:battery_expiry"),
            "cabinet": props.get("defibrillator:location"),
            "access_hours": props.get("opening_hours"),
            "indoor": _from_osm_bool(props.get("indoor")),
            "public": "" if props.get("access") is None else
            ("true" if props.get("access") in {"yes", "permissive"} else "false"),
        })
    else:
        row.update({
            "kind": props.get("aed:site_kind"), "address": props.get("addr:full"),
            "team_code": props.get("aed:team"), "contact_name": props.get("aed:contact_name"),
            "contact_phone": props.get("phone"),
        })
    return {k: v for k, v in row.items() if v is not None}


def write_csv(kind: str, rows: Iterable[dict[str, Any]]) -> str:
    columns = ASSET_COLUMNS if kind == "assets" else SITE_COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_value(row.get(k)) for k in columns})
    return out.getvalue()


def _csv_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    text = str(value)
    # Spreadsheet formula injection: a cell starting with these runs as a formula.
    if text[:1] in {"=", "+", "-", "@"} and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_geojson(kind: str, rows: Iterable[dict[str, Any]]) -> str:
    features = []
    for row in rows:
        if kind == "assets":
            props = {
                "emergency": "defibrillator" if row["kind"] == "aed" else "first_aid_kit",
                "ref": row["external_id"], "name": row["name"], "name:en": row.get("name_en"),
                "opening_hours": row.get("access_hours"),
                "defibrillator:location": row.get("cabinet"),
                "indoor": _osm_bool(row.get("indoor")),
                "access": "yes" if row.get("public") else "private",
                "manufacturer": row.get("manufacturer"), "model": row.get("model"),
                "aed:serial": row.get("serial"), "aed:site_ref": row.get("site_external_id"),
                "aed:pad_expiry": row.get("pad_expiry"),
                "aed:battery_expiry": row.get("battery_expiry"),
                "aed:status": row.get("status"),
            }
        else:
            props = {
                "ref": row["external_id"], "name": row["name"], "name:en": row.get("name_en"),
                "aed:site_kind": row.get("kind"), "addr:full": row.get("address"),
                "opening_hours": row.get("opening_hours"), "aed:team": row.get("team_code"),
                "aed:contact_name": row.get("contact_name"), "phone": row.get("contact_phone"),
            }
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                           for k, v in props.items() if v is not None},
        })
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, indent=1)
