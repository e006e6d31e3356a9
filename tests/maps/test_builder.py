from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from maps.assets import CSS_FILES, JS_FILES, STATIC_DIR, missing_assets
from maps.builder import TEXT_KEYS, build_map_html
from maps.escape import html_and_js_text
from maps.geo import rank_nearest, wgs84_to_gcj02
from maps.payload import features_payload, nearest_payload, parse_bbox
from maps.records import MapRecord
from maps.status_style import StatusLook
from tests.maps.factory import STATUSES, page_words, synthetic_records

PROBE = "</script><script>globalThis.x=1</script>${globalThis.x=1}`\u2028"


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.json_blobs: list[str] = []
        self._in_json = False

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        for name in ("src", "href", "data", "poster", "srcset", "action"):
            if d.get(name):
                self.urls.append(d[name])
        self._in_json = tag == "script" and d.get("type") == "application/json"

    def handle_data(self, data):
        if self._in_json:
            self.json_blobs.append(data)

    def handle_endtag(self, tag):
        self._in_json = False


def _refs(html: str) -> _Refs:
    p = _Refs()
    p.feed(html)
    return p


def _external(urls):
    return [u for u in urls if re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", u, re.I)]


def _records():
    return [
        MapRecord("a1", "aed", 31.2565, 121.5215, "ready", PROBE, "/assets/a1",
                  description=PROBE, contact="张三 13800000000", access_hours="24/7"),
        MapRecord("s1", "station", 31.2705, 121.5515, "low", "时尚中心急救站", "/stations/s1",
                  public=False),
        MapRecord("g1", "gateway", 31.2555, 121.53, "online", "gw-1", "/gateways/g1"),
        MapRecord("g2", "gateway", 31.2525, 121.5095, "offline", "gw-2", "/gateways/g2"),
    ]


@pytest.mark.parametrize("tiles", ["osm", "amap", "none"])
def test_page_references_only_local_assets_and_tiles(tiles):
    html = build_map_html(_records(), tiles=tiles, static_url="/static/maps/", title=PROBE)
    refs = _refs(html)
    css_urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", html)
    assert _external(refs.urls + css_urls) == []
    # Every absolute URL anywhere in the text is a tile template.
    # (folium writes the template as a JS string with & as \u0026)
    absolute = set(re.findall(r"https?://[^\s\"'<>]+", html.replace("\\u0026", "&")))
    allowed = {"osm": {"https://tile.openstreetmap.org/{z}/{x}/{y}.png"},
               "amap": {"https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                        "&style=8&x={x}&y={y}&z={z}"},
               "none": set()}[tiles]
    assert absolute == allowed
    local = [u for u in refs.urls if u.startswith("/static/maps/")]
    # Each of the page's own scripts and stylesheets, once.
    assert sorted(local) == sorted(f"/static/maps/{p}" for _, p in (*JS_FILES, *CSS_FILES))
    for u in local:
        assert (STATIC_DIR / u[len("/static/maps/"):]).is_file()
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()


def test_vendored_assets_and_licences_present():
    assert missing_assets() == []
    assert (STATIC_DIR / "vendor" / "leaflet" / "LICENSE").is_file()
    assert (STATIC_DIR / "vendor" / "markercluster" / "MIT-LICENCE.txt").is_file()
    assert "1.9.4" in (STATIC_DIR / "vendor" / "leaflet" / "leaflet.js").read_text()[:200]


def test_user_text_cannot_break_out_of_script_or_title():
    html = build_map_html(_records(), tiles="none", title=PROBE)
    assert "<script>globalThis" not in html
    # Outside the JSON data elements (never evaluated as JS) no probe text appears.
    code = re.sub(r'<script type="application/json"[^>]*>.*?</script>', "", html, flags=re.S)
    title = re.search(r"<title>(.*?)</title>", code, flags=re.S)
    assert title is not None and title.group(1) == html_and_js_text(PROBE)
    code = code.replace(title.group(0), "")
    assert "globalThis" not in code and "${" not in code and "`" not in code
    # The only script elements are the page's own.
    assert html.count("<script") == html.count("</script>")
    blobs = [json.loads(b) for b in _refs(html).json_blobs]
    data = next(b for b in blobs if b and "rows" in b)
    assert data["rows"][0][5] == PROBE
    assert data["rows"][0][11] == PROBE


def test_public_variant_drops_private_records_fields_and_online_gateways():
    internal = build_map_html(_records(), tiles="none")
    public = build_map_html(_records(), tiles="none", public=True)
    assert "13800000000" in internal and "13800000000" not in public
    assert "时尚中心急救站" in internal and "时尚中心急救站" not in public
    for html in (internal, public):
        assert "gw-2" in html and "gw-1" not in html


def test_gcj02_provider_converts_positions_and_wgs_providers_do_not():
    rec = [MapRecord("a", "aed", 31.1774276, 121.5272106, "ready", "x")]
    for tiles, expected in (("osm", (31.177428, 121.527211)), ("amap", (31.175304, 121.531542))):
        blobs = [json.loads(b) for b in _refs(build_map_html(rec, tiles=tiles)).json_blobs]
        row = next(b for b in blobs if b and "rows" in b)["rows"][0]
        assert (row[2], row[3]) == expected
    assert wgs84_to_gcj02(31.1774276, 121.5272106)[0] == pytest.approx(31.175304, abs=1e-6)


def _config(html: str) -> dict:
    blobs = [json.loads(b) for b in _refs(html).json_blobs]
    return next(b for b in blobs if b and "legend" in b)


def test_words_are_the_callers():
    """The page carries the legend and texts it is given, in the given order, and no
    words of the library's own: without them a status shows its code."""
    config = _config(build_map_html(_records(), tiles="none", **page_words("en")))
    assert [e["label"] for e in config["legend"]["aed"]] == [f"en:{s}" for s in STATUSES["aed"]]
    assert config["legend"]["station"][0] == {
        "status": "empty", "label": "en:empty", "colour": "#999999", "ink": "#000000",
        "glyph": "?", "shape": "square"}
    assert config["text"] == {key: f"en:{key}" for key in TEXT_KEYS}
    bare = build_map_html(_records(), tiles="none")
    assert _config(bare)["legend"] == {}
    assert _config(bare)["text"] == {key: key for key in TEXT_KEYS}
    assert not re.search(r"[\u4e00-\u9fff]", json.dumps(_config(bare), ensure_ascii=False))


def test_legend_refuses_unknown_kinds_and_shapes():
    with pytest.raises(ValueError):
        build_map_html([], legend={"bike": []})
    with pytest.raises(ValueError):
        StatusLook("ready", "x", "#000", "#fff", "?", "star")  # type: ignore[arg-type]


def test_10k_page_is_under_budget():
    html = build_map_html(synthetic_records(10_000), tiles="osm")
    assert len(html.encode()) <= 1_500_000


def test_bbox_mode_embeds_no_records():
    html = build_map_html(synthetic_records(1000), mode="bbox",
                          features_url="/api/v1/map-features")
    assert "/api/v1/map-features" in html
    assert "大厅东侧服务台旁" not in html
    assert len(html.encode()) < 30_000


def test_features_payload_caps_rows_and_bytes():
    recs = synthetic_records(20_000, spread_deg=0.01)
    body = json.dumps(features_payload(recs), ensure_ascii=False, separators=(",", ":"))
    payload = json.loads(body)
    assert len(body.encode()) <= 1_000_000
    assert payload["truncated"] is True and payload["total"] == len(
        [r for r in recs if not (r.kind == "gateway" and r.status == "online")])
    assert 0 < len(payload["rows"]) <= 5000
    small = features_payload(recs[:10])
    assert small["truncated"] is False and len(small["rows"]) == small["total"]


def test_features_payload_with_long_texts_stays_under_1mb():
    long = "长" * 500
    recs = [MapRecord(str(i), "aed", 31.2, 121.5, "ready", long, f"/a/{i}", description=long)
            for i in range(3000)]
    body = json.dumps(features_payload(recs), ensure_ascii=False, separators=(",", ":"))
    assert len(body.encode()) <= 1_000_000
    assert json.loads(body)["truncated"] is True


def test_parse_bbox():
    assert parse_bbox("121.5,31.2,121.6,31.3") == (31.2, 121.5, 31.3, 121.6)
    for bad in ("1,2,3", "a,b,c,d", "121.6,31.2,121.5,31.3", "nan,1,2,3", "inf,1,2,3"):
        with pytest.raises(ValueError):
            parse_bbox(bad)
    # A GCJ-02 viewport maps back to a WGS-84 box holding the points shown in it.
    wlat, wlon = 31.1774276, 121.5272106
    glat, glon = wgs84_to_gcj02(wlat, wlon)
    min_lat, min_lon, max_lat, max_lon = parse_bbox(
        f"{glon - 0.001},{glat - 0.001},{glon + 0.001},{glat + 0.001}", "gcj02")
    assert min_lat <= wlat <= max_lat and min_lon <= wlon <= max_lon


def test_nearest_payload_shape():
    recs = _records()
    items = nearest_payload(rank_nearest((31.2566, 121.5216), recs, 2), coords="gcj02")
    assert [i["id"] for i in items] == ["a1", "g1"] or items[0]["id"] == "a1"
    first = items[0]
    assert set(first) == {"id", "label", "lat", "lon", "distance_m", "open_now", "link",
                          "status", "location", "map_lat", "map_lon"}
    assert first["open_now"] is True and first["link"] == "/assets/a1"
    assert 0 < first["distance_m"] < 30
