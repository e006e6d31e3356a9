"""A database full of probes, put there the way users put text in (:func:`build_world`),
and the checks of what a page shows of them. Import ``app_config`` into a test module:
no broker, no tiles.

Sites and AEDs come in through the web import (CSV upload to /import), the admin account
through `flask user add`, inspection notes, alert comments and resolutions through the
web forms; only what has no form or import column (teams, gateways, AED descriptions) is
written to the database directly. Alerts come from the real expiry scan (every AED's pads
expired in 2020), so their messages quote the AED names.

Each field of record ``i`` holds probe ``i`` between markers naming the field
(:func:`tests.security.probes.mark`); a field with a short limit takes the next probe that
fits. Page checks then tell, for every marker they find, which field and probe it is and
whether the page shows it literally.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.reconcile import reconcile
from app.aeds.refresh import AedContext
from app.alerts.policy import AlertPolicy
from app.extensions import get_settings
from app.models import Alert, Asset, Gateway, Site, Team
from tests.security.probes import ALL, Probe, in_html_text, mark, marked, openings
from tests.support.mosquitto import free_port
from tests.support.web_login import csrf_token, login

ADMIN = "probe-admin"
PASSWORD = "probe-pass-2026-long"
SCAN_AT = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai

#: Field codes (two letters in the markers) and their length limits.
LIMITS: dict[str, int] = {
    # site, CSV import
    "sn": 200, "se": 200, "sa": 300, "sh": 200, "sc": 100, "sp": 40,
    # asset, CSV import
    "an": 200, "ae": 200, "ac": 200, "ah": 200, "am": 100, "ao": 100, "as": 100,
    # no import column or form: written directly
    "ad": 2000, "tn": 200, "te": 200, "tl": 100, "gn": 200,
    # web forms and the CLI
    "in": 2000, "cm": 2000, "rs": 200, "ud": 100,
}
#: Fields that some page shows (serial, a team's English name and its leader are
#: stored but no page or map popup shows them when the site has its own contact).
SHOWN = frozenset(LIMITS) - {"as", "te", "tl"}


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    # No broker listens here: nothing leaks to a local broker. Tiles off: no outside URL.
    return {**app_config, "MQTT_URL": f"mqtt://127.0.0.1:{free_port()}", "MAP_TILES": "none",
            "CONFIG_PUBLISH_TIMEOUT_S": 1.0}


@dataclass
class ProbeWorld:
    probes: tuple[Probe, ...]
    site_ids: list[int] = field(default_factory=list)
    asset_ids: list[int] = field(default_factory=list)
    alert_ids: list[int] = field(default_factory=list)
    resolved_alert_ids: list[int] = field(default_factory=list)
    gateway_ids: list[str] = field(default_factory=list)
    #: (field code, record number) -> the text stored.
    values: dict[tuple[str, int], str] = field(default_factory=dict)

    def value(self, code: str, i: int) -> str:
        return self.values[(code, i)]

    def expected(self, index: int) -> str:
        return self.probes[index].text


def fitting(probes: tuple[Probe, ...], code: str, i: int) -> tuple[int, str]:
    """(probe number, marked text) for field ``code`` of record ``i``."""
    limit = LIMITS[code]
    for step in range(len(probes)):
        j = (i + step) % len(probes)
        text = mark(code, j, probes[j].text)
        if len(text) <= limit:
            return j, text
    raise AssertionError(f"no probe fits {code} ({limit} characters)")


def _csv(header: Iterable[str], rows: Iterable[dict[str, str]]) -> bytes:
    out = io.StringIO()
    names = list(header)
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def _upload(client: FlaskClient, token: str, kind: str, data: bytes) -> None:
    resp = client.post("/import", data={
        "csrf_token": token, "kind": kind, "file": (io.BytesIO(data), f"{kind}.csv"),
    }, content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200, page[:2000]
    assert 'id="import-summary"' in page, page[:2000]


def build_world(app: Flask, client: FlaskClient, runner: FlaskCliRunner, db: Session,
                probes: tuple[Probe, ...] = ALL) -> ProbeWorld:
    world = ProbeWorld(probes)
    n = len(probes)

    def put(code: str, i: int) -> str:
        _j, text = fitting(probes, code, i)
        world.values[(code, i)] = text
        return text

    for i in range(n):
        db.add(Team(code=f"probe-team-{i:02d}", name=put("tn", i), name_en=put("te", i),
                    leader_name=put("tl", i)))
    db.commit()

    result = runner.invoke(args=["user", "add", ADMIN, "--role", "admin", "--name",
                                 put("ud", 0), "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    login(client, ADMIN, PASSWORD)
    token = csrf_token(client, "/import")

    # A grid 0.012 degrees apart: at the map's zoom 14 no two records of a kind cluster.
    def position(i: int) -> tuple[float, float]:
        return 31.22 + (i // 6) * 0.012, 121.47 + (i % 6) * 0.012

    site_rows = []
    for i in range(n):
        lat, lon = position(i)
        site_rows.append({
            "external_id": f"probe-site-{i:02d}", "name": put("sn", i), "name_en": put("se", i),
            "kind": "first_aid_station", "address": put("sa", i),
            "lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "opening_hours": put("sh", i),
            "team_code": f"probe-team-{i:02d}", "contact_name": put("sc", i),
            "contact_phone": put("sp", i),
        })
    _upload(client, token, "sites", _csv(site_rows[0], site_rows))
    asset_rows = []
    for i in range(n):
        lat, lon = position(i)
        asset_rows.append({
            "external_id": f"probe-aed-{i:02d}", "site_external_id": f"probe-site-{i:02d}",
            "kind": "aed", "name": put("an", i), "name_en": put("ae", i),
            "lat": f"{lat + 0.004:.6f}", "lon": f"{lon + 0.004:.6f}",
            "manufacturer": put("am", i), "model": put("ao", i), "serial": put("as", i),
            "pad_expiry": "2020-01-01", "cabinet": put("ac", i), "access_hours": put("ah", i),
            "indoor": "no", "public": "yes",
        })
    _upload(client, token, "assets", _csv(asset_rows[0], asset_rows))

    db.expire_all()
    sites = {s.external_id: s for s in db.scalars(select(Site))}
    assets = {a.external_id: a for a in db.scalars(select(Asset))}
    for i in range(n):
        site, asset = sites[f"probe-site-{i:02d}"], assets[f"probe-aed-{i:02d}"]
        # The import stored every text as typed.
        assert (site.name, site.name_en, site.address, site.opening_hours, site.contact_name,
                site.contact_phone) == tuple(world.value(c, i) for c in
                                             ("sn", "se", "sa", "sh", "sc", "sp"))
        assert (asset.name, asset.name_en, asset.cabinet, asset.access_hours,
                asset.manufacturer, asset.model, asset.serial) == tuple(
            world.value(c, i) for c in ("an", "ae", "ac", "ah", "am", "ao", "as"))
        asset.description = put("ad", i)
        gateway = Gateway(id=f"gw-probe-{i:02d}", site_id=site.id, name=put("gn", i),
                          state="offline")
        db.add(gateway)
        world.site_ids.append(site.id)
        world.asset_ids.append(asset.id)
        world.gateway_ids.append(gateway.id)
    db.commit()

    reconcile(db, SCAN_AT, AedContext.of(get_settings(app), AlertPolicy()))
    db.commit()
    alerts = {a.asset_id: a.id for a in db.scalars(
        select(Alert).where(Alert.kind == "pad_expired"))}
    for i, asset_id in enumerate(world.asset_ids):
        checks = {"ready_light_ok": "ok", "pads_ok": "problem", "battery_ok": "ok",
                  "cabinet_ok": "ok", "alarm_ok": "ok", "supplies_ok": "na"}
        resp = client.post(f"/assets/{asset_id}/inspect",
                           data={"csrf_token": token, **checks, "notes": put("in", i)})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
        alert_id = alerts[asset_id]
        world.alert_ids.append(alert_id)
        resp = client.post(f"/alerts/{alert_id}/comment",
                           data={"csrf_token": token, "body": put("cm", i)})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
        if i % 2:
            resp = client.post(f"/alerts/{alert_id}/resolve",
                               data={"csrf_token": token, "resolution": put("rs", i)})
            assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
            world.resolved_alert_ids.append(alert_id)
    return world


# --- checking what a page holds ---------------------------------------------------------

_DATA_BLOCK = re.compile(r"<script\b[^>]*\btype=\"application/json\"[^>]*>(.*?)</script>",
                         re.S | re.I)


@dataclass
class Report:
    """What one response showed: the fields found and everything wrong with them."""

    where: str
    fields: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def add(self, problem: str) -> None:
        self.problems.append(f"{self.where}: {problem}")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _check_text(report: Report, world: ProbeWorld, text: str,
                allowed: Callable[[str], set[str]], context: str) -> None:
    found = list(marked(text))
    if openings(text) != len(found):
        report.add(f"{openings(text) - len(found)} marked text(s) lost their end in "
                   f"{context} (text swallowed or cut)")
    for f in found:
        report.fields.add(f.field)
        want = world.expected(f.index)
        if f.text not in allowed(want):
            report.add(f"{context}: field {f.field} shows {f.text[:120]!r} for probe "
                       f"{want!r}")


def _check_json_value(report: Report, world: ProbeWorld, value: Any, context: str) -> None:
    for s in _strings(value):
        _check_text(report, world, s, lambda want: {want}, context)


def check_html(report: Report, world: ProbeWorld, body: str) -> None:
    """HTML text and attributes show probes escaped; JSON data elements parse and hold
    them exactly, with no raw ``<`` that could end the element."""
    for block in _DATA_BLOCK.findall(body):
        if "<" in block:
            report.add("a raw '<' inside a JSON data element")
        try:
            data = json.loads(block)
        except ValueError as exc:
            report.add(f"a JSON data element does not parse: {exc}")
            continue
        _check_json_value(report, world, data, "JSON data element")
    outside = _DATA_BLOCK.sub("", body)
    _check_text(report, world, outside, in_html_text, "HTML")


def check_json(report: Report, world: ProbeWorld, body: str) -> None:
    try:
        data = json.loads(body)
    except ValueError as exc:
        report.add(f"body is not JSON: {exc}")
        return
    if openings(body) != len(list(marked(body))):
        report.add("a marked text lost its end in the raw body")
    _check_json_value(report, world, data, "JSON")


def check_response(world: ProbeWorld, client: FlaskClient, url: str,
                   who: str) -> Report:
    report = Report(f"{who} GET {url}")
    resp = client.get(url)
    body = resp.get_data(as_text=True)
    if resp.status_code != 200:
        report.add(f"answered {resp.status_code}: {body[:300]!r}")
        return report
    if resp.mimetype == "application/json":
        check_json(report, world, body)
    else:
        check_html(report, world, body)
    return report
