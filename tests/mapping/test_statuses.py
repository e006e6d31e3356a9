"""The one table of statuses: its rules, and one word per status across the pages
(asset list and pages, site pages, gateways, dashboard) and the map (the /map page's
legend, /api/v1/map-features), in zh-CN and English."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from html import unescape
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.alerts.catalogue import SEVERITIES
from app.mapping.map_records import MapQuery, aed_records, gateway_status, station_status
from app.mapping.statuses import AED, FAMILIES, GATEWAY, STATION, family, legend
from app.mapping.worklist import WorkItem
from app.models import READINESS_STATUSES, Alert, Asset, Site
from maps.payload import FIELDS, KIND_CODES
from tests.alerts.scene import Scene, build_scene, sign_in

F = {name: i for i, name in enumerate(FIELDS)}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_CONFIG = re.compile(r'<script type="application/json" id="aedmap-config-[0-9a-f]+">(.*?)</script>',
                     re.S)
_BADGE = re.compile(r'class="(?:status status|gw gw)-([a-z_]+)">.*?<span class="status-word">([^<]*)</span>',
                    re.S)


# --- the table ---------------------------------------------------------------------------

def test_one_word_per_status_and_language() -> None:
    for fam in FAMILIES.values():
        assert len(set(fam.codes)) == len(fam.codes) and "unknown" in fam.codes
        for locale in ("zh_CN", "en"):
            words = [fam.word(code, locale) for code in fam.codes]
            assert len(set(words)) == len(words), (fam.kind, locale, words)
        for status in fam.statuses:
            assert not re.search(r"[A-Za-z]", status.words.zh), status
            assert not CJK.search(status.words.en), status
        assert len({s.glyph for s in fam.statuses}) == len(fam.statuses), fam.kind


def test_the_table_covers_what_the_rules_produce() -> None:
    assert set(AED.codes) == set(READINESS_STATUSES)
    produced = {station_status(rows, par) for rows, par in [
        ([], True), ([], False), ([(0, 0, 5)], True), ([(2, 0, 5)], True), ([(0, 5, 5)], True)]}
    assert produced == set(STATION.codes)
    assert {gateway_status(s, a) for s in ("online", "offline", "stopped", None)
            for a in (False, True)} == set(GATEWAY.codes)


def test_urgency_is_the_table_order() -> None:
    assert AED.codes == ("in_use", "not_ready", "unknown", "attention", "ready")
    assert AED.rank("in_use") == 0 and AED.rank("ready") == len(AED.codes) - 1
    assert AED.rank("no-such-status") == AED.rank("unknown")
    assert family("station").get(None).code == "unknown"
    with pytest.raises(ValueError):
        family("bike")
    # The worklist puts alert severities and AED statuses on one scale, both by their table.
    assert [SEVERITIES[AED.rank(s)] for s in AED.codes[:4]] == list(SEVERITIES)


def test_legend_is_the_table_in_the_readers_language() -> None:
    for locale in ("zh_CN", "en"):
        for kind, looks in legend(locale).items():
            fam = family(kind)
            assert [look.status for look in looks] == list(fam.codes)
            assert [look.label for look in looks] == [fam.word(c, locale) for c in fam.codes]
            assert {look.shape for look in looks} == {fam.shape}
    ready = legend("en")["aed"][-1]
    assert (ready.label, ready.colour, ready.ink, ready.glyph) == ("Ready", "#009E73",
                                                                   "#ffffff", "✓")


# --- pages and map ------------------------------------------------------------------------

@pytest.fixture
def signed_in(client: FlaskClient, db: Session) -> tuple[FlaskClient, Scene]:
    return sign_in(client, build_scene(db))


def _page_words(client: FlaskClient, scene: Scene) -> dict[tuple[str, str], set[str]]:
    """(kind, status) -> every word a page shows for it."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)

    def badges(path: str, kind: str) -> list[tuple[str, str]]:
        resp = client.get(path)
        assert resp.status_code == 200, path
        found = [(code, unescape(word)) for code, word in _BADGE.findall(resp.get_data(as_text=True))]
        for code, word in found:
            seen[(kind, code)].add(word)
        return found

    for status, aed in scene.aeds.items():
        assert status in [code for code, _ in badges(f"/assets/{aed.id}", "aed")]
    badges("/assets", "aed")
    badges("/?scope=all", "aed")
    for status, site in scene.stations.items():
        assert [code for code, _ in badges(f"/sites/{site.id}", "station")] == [status]
    assert [code for code, _ in badges("/gateways", "gateway")] == \
        [gw.split("-")[1] for gw in sorted(g.id for g in scene.gateways.values())]
    return seen


def _map_words(client: FlaskClient) -> tuple[dict[tuple[str, str], str], list[list[Any]]]:
    html = client.get("/map").get_data(as_text=True)
    config = json.loads(_CONFIG.search(html).group(1))  # type: ignore[union-attr]
    labels = {(kind, look["status"]): look["label"]
              for kind, looks in config["legend"].items() for look in looks}
    rows = client.get("/api/v1/map-features?bbox=121.4,31.2,121.6,31.3").get_json()["rows"]
    return labels, rows


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_one_word_per_status_on_pages_and_map(signed_in: tuple[FlaskClient, Scene],
                                              locale: str) -> None:
    client, scene = signed_in
    client.get(f"/lang/{locale}")
    pages = _page_words(client, scene)
    legend_labels, rows = _map_words(client)
    expected = {(f.kind, c): f.word(c, locale) for f in FAMILIES.values() for c in f.codes}
    assert legend_labels == expected
    for key, words in pages.items():
        assert words == {expected[key]}, key
    # Every status is on some page: AEDs, stations and gateways each in all of theirs.
    assert set(pages) == set(expected)
    # The map payload carries the status codes the legend names.
    on_map = {(KIND_CODES[r[F["kind"]]], r[F["status"]]) for r in rows}
    want = {("aed", s) for s in AED.codes} | {("station", s) for s in STATION.codes} | \
        {("gateway", "offline"), ("gateway", "unknown")}  # online gateways are left off
    assert on_map == want
    by_id = {(KIND_CODES[r[F["kind"]]], r[F["id"]]): r[F["status"]] for r in rows}
    for status, aed in scene.aeds.items():
        assert by_id[("aed", str(aed.id))] == status
    for status, site in scene.stations.items():
        assert by_id[("station", str(site.id))] == status
    if locale == "zh_CN":
        assert not any(re.search(r"[A-Za-z]", w) for w in legend_labels.values())
    else:
        assert not any(CJK.search(w) for w in legend_labels.values())


def test_the_most_urgent_come_first(db: Session) -> None:
    scene = build_scene(db)
    capped = aed_records(db, MapQuery(), limit=2)
    assert [r.status for r in capped] == ["in_use", "not_ready"]
    site = db.get(Site, scene.aeds["ready"].site_id)
    assert site is not None
    calm = WorkItem(site=site, asset=db.get(Asset, scene.aeds["ready"].id))
    assert calm.urgency == AED.rank("ready")
    urgent = WorkItem(site=site, asset=calm.asset, alerts=[scene.alerts["aed_in_use"]])
    assert urgent.urgency == 0
    info = WorkItem(site=site, asset=calm.asset, alerts=[Alert(severity="info")])
    assert info.urgency == SEVERITIES.index("info")
