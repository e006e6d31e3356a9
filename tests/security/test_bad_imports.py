"""Malformed import files get a reason a person can act on, never a 500 or a traceback.

The same corpus goes through the web upload (`POST /import`: HTTP 400, the reason in the
page's error area, in the user's language) and the CLI (`flask --app app import`: one
line on stderr, exit status 2), once through Flask's CLI runner and for a few files
through a real `python -m flask` process. Problems of a single row (a missing cell, a
feature without geometry) stay per-line errors: the good rows are imported, the bad one
is reported with its line number (web: 200 with the report; CLI: exit status 1).
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from app.importexport.fields import SITE_COLUMNS
from app.models import Site
from tests.support.mosquitto import REPO_ROOT
from tests.support.no_broker import without_broker
from tests.support.web_login import csrf_token, login

COORDINATOR = "import-coordinator"
PASSWORD = "import-check-pass-2026"
ERROR_AREA = '<p class="flash flash-error" role="alert">'
HEADER = ",".join(SITE_COLUMNS)
# external_id,name,name_en,kind,address,lat,lon,opening_hours,team_code,contact_name,contact_phone
GOOD_ROW = "bad-imp-1,秦皇岛路码头,Qinhuangdao Rd pier,riverside_point,杨浦滨江,31.2517,121.5210,24/7,,,"
GOOD_ROW_2 = "bad-imp-2,杨浦大桥,Yangpu bridge,riverside_point,杨浦滨江,31.2560,121.5320,24/7,,,"


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    # No broker listens here: nothing leaks to a local broker.
    return without_broker(app_config, 1.0)


@pytest.fixture
def coordinator(client: FlaskClient, runner: FlaskCliRunner) -> FlaskClient:
    result = runner.invoke(args=["user", "add", COORDINATOR, "--role", "coordinator",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    login(client, COORDINATOR, PASSWORD)
    return client


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def feature(props: dict[str, Any] | None = None, coords: Any = (121.521, 31.2517),
            **extra: Any) -> dict[str, Any]:
    base = {"ref": "bad-imp-1", "name": "秦皇岛路码头", "aed:site_kind": "riverside_point"}
    out: dict[str, Any] = {"type": "Feature",
                           "geometry": {"type": "Point", "coordinates": list(coords)},
                           "properties": {**base, **(props or {})}}
    out.update(extra)
    return out


def collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def geojson_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def good_geojson() -> bytes:
    return geojson_bytes(collection(
        feature(), feature({"ref": "bad-imp-2", "name": "杨浦大桥"}, (121.532, 31.256))))


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        book.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return out.getvalue()


def deep_geojson(depth: int) -> bytes:
    return (b'{"type": "FeatureCollection", "features": ['
            + b"[" * depth + b"]" * depth + b"]}")


@dataclass(frozen=True)
class BadFile:
    """A file the import must refuse as a whole, and what each interface must say."""

    id: str
    filename: str
    data: bytes
    english: str  # in the CLI's one line (and the web page in English)
    chinese: str  # in the web page's error area (zh-CN, the default locale)


BAD_FILES = [
    BadFile("deeply-nested-geojson", "sites.geojson", deep_geojson(100_000),
            "nested more than 64 levels deep", "嵌套超过 64 层"),
    BadFile("nesting-just-over-the-limit", "sites.geojson", deep_geojson(64),
            "nested more than 64 levels deep", "嵌套超过 64 层"),
    BadFile("csv-cell-over-128-kib", "sites.csv",
            csv_bytes(HEADER, GOOD_ROW, "bad-imp-3," + "长" * 140_000 + ",,,,31.25,121.5,,,,"),
            "Line 3: a cell is longer than 131072 characters", "第 3 行:有单元格超过 131072 个字符"),
    BadFile("runaway-quote-past-128-kib", "sites.csv",
            csv_bytes(HEADER, GOOD_ROW, 'bad-imp-3,"unclosed', *[GOOD_ROW_2] * 3000),
            "Line 3: a cell is longer than 131072 characters", "是否缺少右引号"),
    BadFile("binary-data", "sites.csv", random.Random(7).randbytes(4096),
            "binary data", "二进制数据"),
    BadFile("excel-workbook", "sites.csv", xlsx_bytes(),
            "Excel workbook", "Excel 工作簿"),
    BadFile("gbk-csv-from-chinese-excel", "sites.csv",
            csv_bytes(HEADER, GOOD_ROW, GOOD_ROW_2, encoding="gbk"),
            'GBK (GB18030) text, but UTF-8 is expected. In Excel choose Save As → "CSV UTF-8',
            "GBK (GB18030) 编码,但需要 UTF-8 编码"),
    BadFile("utf16-unicode-text", "sites.csv",
            csv_bytes(HEADER.replace(",", "\t"), GOOD_ROW.replace(",", "\t"), encoding="utf-16"),
            "UTF-16 text, but UTF-8 is expected", "UTF-16 编码,但需要 UTF-8"),
    BadFile("utf16-without-bom", "sites.csv",
            csv_bytes(HEADER, GOOD_ROW, encoding="utf-16-le"),
            "UTF-16 text, but UTF-8 is expected", "UTF-16 编码,但需要 UTF-8"),
    BadFile("latin1-not-utf8", "sites.csv",
            csv_bytes(HEADER, "bad-imp-1,Café du quai,,riverside_point,,31.25,121.52,,,,",
                      encoding="latin-1"),
            "not UTF-8 text (byte 0xE9 on line 2)", "不是 UTF-8 文本(第 2 行的字节 0xE9)"),
    BadFile("geojson-cut-off", "sites.geojson", good_geojson()[:150],
            "The JSON ends too early", "JSON 提前结束"),
    BadFile("csv-cut-mid-quoted-field", "sites.csv",
            csv_bytes(HEADER, GOOD_ROW)
            + b'bad-imp-2,"\xe6\x9d\xa8\xe6\xb5\xa6\xe5\xa4\xa7\xe6\xa1\xa5, east',
            "ends inside the quoted cell begun on line 3", "第 3 行开始的带引号单元格"),
    BadFile("nul-bytes", "sites.csv",
            csv_bytes(HEADER, GOOD_ROW.replace("24/7", "24\x007")),
            "binary data (a NUL or control byte on line 2)", "第 2 行有 NUL 或控制字节"),
    BadFile("empty-file", "sites.csv", b"", "The file is empty.", "文件是空的"),
    BadFile("only-bom-and-blank-lines", "sites.geojson", b"\xef\xbb\xbf\r\n\r\n",
            "The file is empty.", "文件是空的"),
    BadFile("header-only-csv", "sites.csv", csv_bytes(HEADER),
            "header line but no rows", "只有表头,没有数据行"),
    BadFile("no-features", "sites.geojson", geojson_bytes(collection()),
            "has no features", "没有任何要素"),
    BadFile("features-not-a-list", "sites.geojson",
            geojson_bytes({"type": "FeatureCollection", "features": {"0": feature()}}),
            'no "features" list', "“features” 列表"),
    BadFile("not-a-feature-collection", "sites.geojson", geojson_bytes([feature()]),
            "not a GeoJSON FeatureCollection", "不是 GeoJSON FeatureCollection"),
    BadFile("invalid-json", "sites.geojson",
            b'{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",,}]}',
            "not valid JSON: Expecting property name enclosed in double quotes (line 3",
            "不是有效的 JSON"),
    BadFile("nan", "sites.geojson",
            good_geojson().replace(b"121.521", b"NaN"),
            "Line 9: NaN is not a number", "第 9 行:NaN 不是允许的数值"),
    BadFile("infinity", "sites.geojson",
            good_geojson().replace(b"31.256", b"-Infinity"),
            "Line 25: -Infinity is not a number", "第 25 行:-Infinity 不是允许的数值"),
    BadFile("1e999", "sites.geojson",
            good_geojson().replace(b"31.2517", b"1e999"),
            "Line 10: 1e999 is not a number", "第 10 行:1e999 不是允许的数值"),
    BadFile("5000-digit-integer", "sites.geojson",
            good_geojson().replace(b"121.521", b"1" * 5000),
            "Line 9: 11111111111111111111… is not a number",
            "第 9 行:11111111111111111111… 不是允许的数值"),
    BadFile("semicolon-separated", "sites.csv",
            csv_bytes(HEADER.replace(",", ";"), GOOD_ROW.replace(",", ";")),
            'separated by ";", not by commas', "各列用“;”分隔"),
    BadFile("column-named-twice", "sites.csv", csv_bytes(HEADER + ",name", GOOD_ROW + ",x"),
            'the column "name" more than once', "“name”列出现了不止一次"),
    BadFile("stray-quote", "sites.csv",
            csv_bytes(HEADER, GOOD_ROW, 'bad-imp-2,"杨浦"大桥,,,,31.25,121.5,,,,'),
            "Line 3 is not valid CSV", "第 3 行不是有效的 CSV"),
    BadFile("csv-named-geojson", "sites.geojson", csv_bytes(HEADER, GOOD_ROW),
            "is it a CSV file?", "是否为 CSV 文件"),
    BadFile("geojson-named-csv", "sites.csv", good_geojson(),
            "This looks like JSON, not CSV", "这看起来是 JSON"),
    BadFile("over-100000-rows", "sites.csv",
            csv_bytes("external_id,name", *["x,y"] * 100_001),
            "more than 100000 rows", "超过 100000 行"),
    BadFile("over-20-mib", "sites.csv", csv_bytes(HEADER) + b"x" * (20 * 1024 * 1024),
            "larger than 20 MiB", "文件超过 20 MiB"),
]


def upload(client: FlaskClient, name: str, data: bytes, dry_run: bool = True,
           kind: str = "sites") -> TestResponse:
    """POST /import as the page's form does. The body is encoded here, in memory: the test
    client spools an upload over 500 KiB to a temporary file that it never closes."""
    form: dict[str, object] = {"kind": kind, "csrf_token": csrf_token(client, "/import"),
                               "file": FileStorage(io.BytesIO(data), filename=name)}
    if dry_run:
        form["dry_run"] = "yes"
    boundary, body = encode_multipart(form)
    return client.post("/import", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def error_area(html: str) -> str:
    assert ERROR_AREA in html, html[:2000]
    return html.split(ERROR_AREA, 1)[1].split("</p>", 1)[0]


def site_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Site)) or 0


@pytest.mark.parametrize("bad", BAD_FILES, ids=[b.id for b in BAD_FILES])
def test_web_refuses_a_bad_file_with_a_reason(coordinator: FlaskClient, db: Session,
                                              bad: BadFile) -> None:
    resp = upload(coordinator, bad.filename, bad.data, dry_run=False)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400, html[:2000]
    message = error_area(html)
    assert bad.chinese in message, message
    assert "Traceback" not in html and "Error" not in message
    assert site_count(db) == 0


@pytest.mark.parametrize("bad", BAD_FILES, ids=[b.id for b in BAD_FILES])
def test_cli_refuses_a_bad_file_in_one_line_with_status_2(runner: FlaskCliRunner, db: Session,
                                                          tmp_path: Path, bad: BadFile) -> None:
    path = tmp_path / bad.filename
    path.write_bytes(bad.data)
    result = runner.invoke(args=["import", "sites", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: {path}: "), lines[0]
    assert bad.english in lines[0], lines[0]
    assert site_count(db) == 0


def test_the_page_speaks_the_users_language(coordinator: FlaskClient) -> None:
    gbk = next(b for b in BAD_FILES if b.id == "gbk-csv-from-chinese-excel")
    zh = error_area(upload(coordinator, gbk.filename, gbk.data).get_data(as_text=True))
    assert "“另存为”→“CSV UTF-8(逗号分隔)”" in zh, zh
    coordinator.get("/lang/en")
    resp = upload(coordinator, gbk.filename, gbk.data)
    assert resp.status_code == 400
    en = error_area(resp.get_data(as_text=True))
    assert gbk.english in en.replace("&#34;", '"').replace("&quot;", '"'), en


SUBPROCESS_CASES = ["deeply-nested-geojson", "csv-cell-over-128-kib", "5000-digit-integer",
                    "gbk-csv-from-chinese-excel"]


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_real_cli_process_prints_one_line_and_exits_2(app_config: dict[str, object],
                                                      tmp_path: Path, case: str) -> None:
    bad = next(b for b in BAD_FILES if b.id == case)
    path = tmp_path / bad.filename
    path.write_bytes(bad.data)
    env = {**os.environ, **{k: str(app_config[k]) for k in
                            ("DATABASE_URL", "SECRET_KEY", "DATA_DIR", "MQTT_URL")}}
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "import", "sites", str(path)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"Error: {path}: ") and bad.english in lines[0], lines[0]


# Row-level problems: the file is readable, one row (line 3 / feature 2) is wrong.
@dataclass(frozen=True)
class BadRow:
    id: str
    filename: str
    data: bytes
    line: int
    message: str


def _geo_rows(bad: Any) -> bytes:
    return geojson_bytes(collection(feature(), bad))


BAD_ROWS = [
    BadRow("more-cells-than-header", "sites.csv", csv_bytes(HEADER, GOOD_ROW, GOOD_ROW_2 + ",x"),
           3, "this line has 12 cells but the header has 11 columns"),
    BadRow("fewer-cells-than-header", "sites.csv",
           csv_bytes(HEADER, GOOD_ROW, GOOD_ROW_2.rsplit(",", 3)[0]),
           3, "this line has 8 cells but the header has 11 columns"),
    BadRow("feature-not-an-object", "sites.geojson", _geo_rows("bad-imp-2"),
           2, "this feature is not a JSON object"),
    BadRow("properties-not-an-object", "sites.geojson",
           _geo_rows({**feature(), "properties": ["ref", "bad-imp-2"]}),
           2, "properties must be a JSON object"),
    BadRow("geometry-null", "sites.geojson",
           _geo_rows({**feature({"ref": "bad-imp-2"}), "geometry": None}),
           2, "geometry is missing"),
    BadRow("geometry-not-a-point", "sites.geojson",
           _geo_rows({**feature({"ref": "bad-imp-2"}),
                      "geometry": {"type": "LineString", "coordinates": [[121.5, 31.2]] * 2}}),
           2, "geometry must be a Point"),
    BadRow("coordinates-not-numbers", "sites.geojson",
           _geo_rows(feature({"ref": "bad-imp-2"}, ("121.5", "31.25"))),
           2, "coordinates must be [longitude, latitude], two numbers"),
    BadRow("coordinates-true-false", "sites.geojson",
           _geo_rows(feature({"ref": "bad-imp-2"}, (True, False))),
           2, "coordinates must be [longitude, latitude], two numbers"),
    BadRow("name-is-a-list", "sites.geojson",
           _geo_rows(feature({"ref": "bad-imp-2", "name": ["杨浦大桥"]})),
           2, "name must be text, not a list"),
    BadRow("nul-in-a-json-string", "sites.geojson",
           _geo_rows(feature({"ref": "bad-imp-2", "name": "杨浦\u0000大桥"})),
           2, "name contains a NUL character"),
    BadRow("lone-surrogate", "sites.geojson",
           geojson_bytes(collection(feature(), feature({"ref": "bad-imp-2"})))
           .replace("杨浦".encode(), b"x").replace(b'"bad-imp-2"', b'"bad-imp-2\\ud800"'),
           2, "external_id contains an invalid character"),
]
ASSET_ROWS = [
    BadRow("access-is-a-list", "assets.geojson", geojson_bytes(collection(
        feature({"ref": "aed-bad-1", "emergency": "defibrillator", "aed:site_ref": "bad-imp-1",
                 "access": "yes"}),
        feature({"ref": "aed-bad-2", "emergency": "defibrillator", "aed:site_ref": "bad-imp-1",
                 "access": ["yes"]}))),
           2, "public must be text, not a list"),
]


def _import_site(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "one-site.csv"
    path.write_bytes(csv_bytes(HEADER, GOOD_ROW))
    result = runner.invoke(args=["import", "sites", str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("bad", BAD_ROWS + ASSET_ROWS, ids=[b.id for b in BAD_ROWS + ASSET_ROWS])
def test_web_reports_a_bad_row_by_line_and_imports_the_rest(
        coordinator: FlaskClient, runner: FlaskCliRunner, db: Session, tmp_path: Path,
        bad: BadRow) -> None:
    kind = "assets" if bad.filename.startswith("assets") else "sites"
    if kind == "assets":
        _import_site(runner, tmp_path)
    resp = upload(coordinator, bad.filename, bad.data, dry_run=False, kind=kind)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:2000]
    assert ERROR_AREA not in html
    assert "新增 1 条,更新 0 条,未变 0 条,1 行有错误。" in html, html
    assert f"第 {bad.line} 行: {bad.message}" in html, html.split('id="import-summary"')[-1][:1500]


@pytest.mark.parametrize("bad", BAD_ROWS + ASSET_ROWS, ids=[b.id for b in BAD_ROWS + ASSET_ROWS])
def test_cli_reports_a_bad_row_by_line_and_imports_the_rest(
        runner: FlaskCliRunner, db: Session, tmp_path: Path, bad: BadRow) -> None:
    kind = "assets" if bad.filename.startswith("assets") else "sites"
    if kind == "assets":
        _import_site(runner, tmp_path)
    before = site_count(db)
    path = tmp_path / bad.filename
    path.write_bytes(bad.data)
    result = runner.invoke(args=["import", kind, str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    assert result.exit_code == 1, result.output
    assert f"{bad.filename}:{bad.line}: {bad.message}" in result.stderr, result.output
    assert f"imported 1 {kind} (1 new, 0 updated, 0 unchanged); 1 lines with errors" in (
        result.stdout), result.output
    if kind == "sites":
        assert site_count(db) == before + 1
