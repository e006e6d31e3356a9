"""Reading and writing CSV and GeoJSON rows.

GeoJSON uses OpenStreetMap tags where one fits (`emergency=defibrillator`, `ref`,
`name:en`, `opening_hours`, `indoor`, `access`, `defibrillator:location`); facts OSM
has no tag for carry an `aed:` prefix.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from typing import Any

from app.i18n.marked import N_
from app.importexport.fields import ASSET_COLUMNS, SITE_COLUMNS, RowProblem
from app.importexport.matching import OSM_KEY

#: Largest import file: 20 MiB holds about 100,000 CSV rows (10,000 rows are about 2 MiB).
MAX_IMPORT_BYTES = 20 * 1024 * 1024
#: Most rows (CSV lines or GeoJSON features) in one file; all Shanghai has about 10,000 AEDs.
MAX_IMPORT_ROWS = 100_000
#: Longest CSV cell; the longest column takes 300 characters, so a longer cell is nearly
#: always a missing closing quote swallowing the lines after it. (It is also the csv
#: module's default limit.)
MAX_CSV_CELL_CHARS = 128 * 1024
#: Deepest JSON nesting; a FeatureCollection of points nests 5 levels deep.
MAX_JSON_DEPTH = 64
#: Longest JSON integer (Python refuses more than 4300 digits with a ValueError).
MAX_JSON_INT_DIGITS = 100

_EXCEL_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # .xlsx (zip), .xls
_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
_SAMPLE = 64 * 1024
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1b")


class FormatError(ValueError):
    """The file as a whole cannot be read.

    `message` is an English message id with ``%(name)s`` placeholders (the web page shows
    it translated), `params` fill them in; ``str()`` is the English text (the CLI's).
    """

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def detect_format(filename: str) -> str:
    lowered = filename.lower()
    if lowered.endswith((".geojson", ".json")):
        return "geojson"
    return "csv"


def read_rows(data: bytes, kind: str, fmt: str) -> list[tuple[int, dict[str, Any]]]:
    """Every row of an uploaded file, or FormatError saying why the file cannot be read.

    Problems of one row (a missing cell, a feature without geometry) are not raised: such
    a row is a RowProblem, which the importer reports for its line like any bad value.
    """
    text = decode_text(data)
    return list(read_geojson(text, kind) if fmt == "geojson" else read_csv(text))


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB" if n >= 1024 * 1024 else f"{n // 1024} KiB"


def _line_of(data: bytes | str, pos: int) -> int:
    if isinstance(data, bytes):
        return data.count(b"\n", 0, pos) + 1
    return data.count("\n", 0, pos) + 1


def _encoding_error(encoding: str) -> FormatError:
    return FormatError(N_(
        "The file is %(encoding)s text, but UTF-8 is expected. In Excel choose Save As → "
        "\"CSV UTF-8 (Comma delimited)\" (or save the file as UTF-8 in your editor) and "
        "upload it again."), encoding=encoding)


def _looks_utf16(sample: bytes) -> bool:
    """UTF-16 without a BOM: ASCII characters give a NUL in every other byte."""
    half = len(sample) // 2
    return half > 0 and max(sample[0::2].count(0), sample[1::2].count(0)) > half // 3


def _looks_gbk(sample: bytes) -> bool:
    """Mostly not UTF-8 (not a UTF-8 file with one broken byte), and Chinese as GB18030."""
    replaced = sample.decode("utf-8", "replace").count("\ufffd")
    non_ascii = sum(1 for b in sample if b > 127)
    if replaced * 10 < non_ascii:
        return False
    try:
        text = codecs.getincrementaldecoder("gb18030")().decode(sample)
    except UnicodeDecodeError:
        return False
    wide = [c for c in text if ord(c) > 127]
    cjk = sum(1 for c in wide if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f"
              or "\uff00" <= c <= "\uffef")
    return bool(wide) and cjk * 2 >= len(wide)


def decode_text(data: bytes) -> str:
    """The file's text (UTF-8, with or without BOM), or FormatError saying what it is."""
    if len(data) > MAX_IMPORT_BYTES:
        raise FormatError(N_("The file is larger than %(limit)s; split it into smaller files."),
                          limit=_size(MAX_IMPORT_BYTES))
    if data.startswith(_EXCEL_MAGIC):
        raise FormatError(N_(
            "This is an Excel workbook (.xlsx or .xls), not a CSV file. In Excel choose "
            "Save As → \"CSV UTF-8 (Comma delimited)\" and upload that file."))
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise _encoding_error(encoding)
    sample = data[:_SAMPLE]
    nul = data.find(b"\x00")
    if nul >= 0 and _looks_utf16(sample):
        raise _encoding_error("UTF-16")
    if nul >= 0 or sum(sample.count(b) for b in _CONTROL_BYTES) * 20 > len(sample):
        at = nul if nul >= 0 else next(i for i, b in enumerate(data) if b in _CONTROL_BYTES)
        raise FormatError(N_(
            "The file holds binary data (a NUL or control byte on line %(line)d), not CSV "
            "or GeoJSON text."), line=_line_of(data, at))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _looks_gbk(data[exc.start:exc.start + _SAMPLE]):
            raise _encoding_error("GBK (GB18030)") from None
        raise FormatError(N_(
            "The file is not UTF-8 text (byte 0x%(byte)s on line %(line)d). Save it as UTF-8 "
            "(in Excel: Save As → \"CSV UTF-8 (Comma delimited)\") and upload it again."),
            byte=f"{data[exc.start]:02X}", line=_line_of(data, exc.start)) from None
    if not text.strip():
        raise FormatError(N_("The file is empty."))
    return text


def check_separator(header: list[str]) -> None:
    """A header read as one cell holding ";" or tabs: the file is not comma-separated."""
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        raise FormatError(N_(
            "The columns are separated by \"%(separator)s\", not by commas. In Excel "
            "choose Save As → \"CSV UTF-8 (Comma delimited)\"."),
            separator=";" if ";" in header[0] else "Tab")


def needs_external_id(header: list[str]) -> None:
    """The registry's files are keyed by external_id."""
    if "external_id" not in header:
        check_separator(header)
        raise FormatError(N_("The first line must be a header with an external_id column."))


def read_csv(text: str, check_header: Callable[[list[str]], None] = needs_external_id,
             ) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number of the row's first line, row) pairs; the header is line 1.

    Blank lines (or lines of empty cells only) are skipped; a line with more or fewer
    cells than the header is a RowProblem. ``check_header`` raises FormatError when the
    header lacks what the rows need.
    """
    if text.startswith("\ufeff"):
        text = text[1:]  # Excel writes a BOM
    if text.lstrip().startswith(("{", "[")):
        raise FormatError(N_("This looks like JSON, not CSV: name GeoJSON files .geojson."))
    # The limit is the csv module's, for the whole process: set it to ours (its default).
    if csv.field_size_limit() != MAX_CSV_CELL_CHARS:
        csv.field_size_limit(MAX_CSV_CELL_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1  # first line of the record being read
    try:
        header = [name.strip() for name in next(reader, [])]
        check_header(header)
        twice = sorted(name for name, n in Counter(header).items() if name and n > 1)
        if twice:
            raise FormatError(N_("The header names the column \"%(column)s\" more than once."),
                              column=twice[0])
        rows = 0
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            rows += 1
            if rows > MAX_IMPORT_ROWS:
                raise _too_many_rows()
            if len(record) != len(header):
                yield line, RowProblem(
                    f"this line has {len(record)} cells but the header has {len(header)} "
                    "columns (a comma in a cell without quotes, or a missing cell?)")
                continue
            yield line, {name: value for name, value in zip(header, record, strict=True)
                         if name}
    except csv.Error as exc:
        reason = str(exc)
        if reason.startswith("field larger than field limit"):
            raise FormatError(N_(
                "Line %(line)d: a cell is longer than %(limit)d characters, the limit. Is a "
                "closing quote missing?"), line=start, limit=MAX_CSV_CELL_CHARS) from None
        if reason.startswith("unexpected end of data"):
            raise FormatError(N_(
                "The file ends inside the quoted cell begun on line %(line)d: the file is "
                "cut off, or a closing quote is missing."), line=start) from None
        raise FormatError(N_("Line %(line)d is not valid CSV (%(reason)s): check its quotes."),
                          line=reader.line_num, reason=reason) from None
    if rows == 0:
        raise FormatError(N_("The file has a header line but no rows."))


def _osm_bool(value: Any) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _from_osm_bool(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return value  # parse_* says it is not text
    return "true" if str(value).lower() in {"yes", "true", "1"} else "false"


class _BadNumber(ValueError):
    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


def _json_constant(token: str) -> Any:
    raise _BadNumber(token)  # NaN, Infinity, -Infinity: not JSON (RFC 8259)


def _json_float(token: str) -> float:
    value = float(token)
    if value in (float("inf"), float("-inf")):
        raise _BadNumber(token)  # 1e999
    return value


def _json_int(token: str) -> int:
    if len(token) > MAX_JSON_INT_DIGITS:
        raise _BadNumber(token)
    return int(token)


# A string, or an unterminated one running to the end (so no match is tried twice: linear).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _DEPTH_STEP[_open], _DEPTH_STEP[_close] = 1, -1


def _json_depth(text: str) -> int:
    """Deepest nesting of arrays and objects, without recursion (json.loads recurses)."""
    outside_strings = _JSON_STRING.sub("", text).encode("utf-8", "surrogatepass")
    brackets = outside_strings.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def _too_many_rows() -> FormatError:
    return FormatError(N_("The file has more than %(limit)d rows; split it into smaller files."),
                       limit=MAX_IMPORT_ROWS)


def _token_line(text: str, token: str) -> int:
    """Line of the first `token` outside a JSON string."""
    pattern = re.compile(_JSON_STRING.pattern + r"|(?<![\w.+-])" + re.escape(token) + r"(?![\w.])",
                         re.DOTALL)
    for match in pattern.finditer(text):
        if not match.group().startswith('"'):
            return _line_of(text, match.start())
    return 1


def _shown(token: str) -> str:
    return token if len(token) <= 30 else token[:20] + "…"


def read_geojson(text: str, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(feature number, row) pairs, translating OSM tags back to our columns."""
    if not text.lstrip().startswith(("{", "[")):
        raise FormatError(N_(
            "This is not JSON (it does not start with \"{\"): is it a CSV file? Name CSV files "
            ".csv."))
    if _json_depth(text) > MAX_JSON_DEPTH:
        raise FormatError(N_(
            "The JSON is nested more than %(limit)d levels deep (GeoJSON points need 5)."),
            limit=MAX_JSON_DEPTH)
    try:
        data = json.loads(text, parse_constant=_json_constant, parse_float=_json_float,
                          parse_int=_json_int)
    except _BadNumber as exc:
        raise FormatError(N_(
            "Line %(line)d: %(number)s is not a number this file may hold; use a finite "
            "number (at most %(digits)d digits) or null."),
            line=_token_line(text, exc.token), number=_shown(exc.token),
            digits=MAX_JSON_INT_DIGITS) from None
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise FormatError(N_(
                "The JSON ends too early (line %(line)d): the file is cut off. Upload the "
                "whole file."), line=exc.lineno) from None
        raise FormatError(N_(
            "The file is not valid JSON: %(reason)s (line %(line)d, column %(column)d)."),
            reason=exc.msg, line=exc.lineno, column=exc.colno) from None
    except RecursionError:  # not reached below MAX_JSON_DEPTH; never a traceback
        raise FormatError(N_(
            "The JSON is nested more than %(limit)d levels deep (GeoJSON points need 5)."),
            limit=MAX_JSON_DEPTH) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise FormatError(N_(
            "This is not a GeoJSON FeatureCollection: the file must be an object with "
            "\"type\": \"FeatureCollection\"."))
    features = data.get("features")
    if not isinstance(features, list):
        raise FormatError(N_("The FeatureCollection has no \"features\" list."))
    if not features:
        raise FormatError(N_("The FeatureCollection has no features."))
    if len(features) > MAX_IMPORT_ROWS:
        raise _too_many_rows()
    for number, feature in enumerate(features, start=1):
        yield number, _feature_row(feature, kind)


def _is_json_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _feature_row(feature: Any, kind: str) -> dict[str, Any]:
    if not isinstance(feature, dict):
        return RowProblem("this feature is not a JSON object")
    props = feature.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        return RowProblem("properties must be a JSON object")
    geometry = feature.get("geometry")
    if geometry is None:
        return RowProblem("geometry is missing: a Point with coordinates "
                          "[longitude, latitude] is needed")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        return RowProblem("geometry must be a Point with coordinates [longitude, latitude]")
    coords = geometry.get("coordinates")
    if (not isinstance(coords, list) or len(coords) not in (2, 3)
            or not all(_is_json_number(c) for c in coords)):
        return RowProblem("coordinates must be [longitude, latitude], two numbers")
    row: dict[str, Any] = {"lon": coords[0], "lat": coords[1]}
    row.update(_untag(props, kind))
    if kind == "assets":
        links = source_links(props, feature.get("id"))
        if links:
            row["links"] = links
        dated = next((props[k] for k in _SOURCE_DATE_TAGS if isinstance(props.get(k), str)), None)
        if dated:
            row["source_date"] = dated
    return row


_OSM_ELEMENT = re.compile(r"(?:node|way|relation)/[0-9]{1,20}")
#: Tags that say when the source record was last confirmed, best first (`@timestamp` is
#: the last edit in an Overpass export with metadata).
_SOURCE_DATE_TAGS = ("check_date", "survey:date", "@timestamp", "timestamp")
_MAX_TAG = 255


def source_links(props: dict[str, Any], feature_id: Any = None) -> dict[str, str]:
    """The record's links to its source: `ref:*` tags, and the OSM element ("node/123",
    from the feature's id or its `@id`), under the key "osm"."""
    links = {k: v.strip() for k, v in props.items()
             if k.startswith("ref:") and isinstance(v, str) and v.strip()
             and len(k) <= _MAX_TAG and len(v.strip()) <= _MAX_TAG}
    for candidate in (feature_id, props.get("@id"), props.get("id")):
        if isinstance(candidate, str) and _OSM_ELEMENT.fullmatch(candidate):
            links[OSM_KEY] = candidate
            break
    return links


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
            "public": _from_osm_access(props.get("access")),
        })
    else:
        row.update({
            "kind": props.get("aed:site_kind"), "address": props.get("addr:full"),
            "team_code": props.get("aed:team"), "contact_name": props.get("aed:contact_name"),
            "contact_phone": props.get("phone"),
        })
    return {k: v for k, v in row.items() if v is not None}


def _from_osm_access(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return value  # parse_* says it is not text (and a list would not even hash)
    return "true" if value in {"yes", "permissive"} else "false"


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
