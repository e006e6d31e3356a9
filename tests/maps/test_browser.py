"""The built page in a real headless Chromium, served from 127.0.0.1 only."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from maps.builder import build_map_html
from maps.hours import open_state
from maps.payload import encode, features_payload, parse_bbox
from maps.records import MapRecord
from tests.maps.factory import page_words, synthetic_records

pytestmark = pytest.mark.browser

XSS = [
    "${globalThis.x=1}",
    "`;globalThis.x=1;`",
    "\\`;globalThis.x=1//",
    '<img src=x onerror="globalThis.x=1">',
    "<script>globalThis.x=1</script>",
    "</script><script>globalThis.x=1</script>",
]

OKABE_GREEN = "rgb(0, 158, 115)"
OKABE_ORANGE = "rgb(230, 159, 0)"
OKABE_VERMILLION = "rgb(213, 94, 0)"


def _records() -> list[MapRecord]:
    return [
        MapRecord("a1", "aed", 31.2565, 121.5215, "ready", "人人屋 AED", "/assets/a1",
                  pad_expiry=date(2027, 5, 1), battery_expiry=date(2029, 1, 1),
                  last_check=date(2026, 11, 20), access_hours="24/7",
                  description="服务台旁"),
        MapRecord("a2", "aed", 31.2525, 121.5095, "attention", "秦皇岛路码头 AED", "/assets/a2",
                  access_hours="off"),
        MapRecord("a3", "aed", 31.2605, 121.5300, "not_ready", "杨浦大桥 AED", "/assets/a3"),
        MapRecord("s1", "station", 31.2625, 121.5150, "low", "滨江急救站", "/stations/s1"),
        MapRecord("g1", "gateway", 31.2500, 121.5250, "offline", "网关一", "/gateways/g1"),
    ]


def _open(make, server, html, **ctx):
    server.pages["/map"] = html
    page, guard = make(viewport={"width": 1000, "height": 800}, **ctx)
    page.goto(server.url("/map"))
    page.wait_for_function("() => window.aedmapPage && window.aedmapPage.shown !== undefined")
    return page, guard


def _clean(guard):
    assert guard.outside == []
    assert guard.errors == []


def test_markers_render_locally_with_status_colours(page_server, guarded_context):
    page, guard = _open(guarded_context, page_server, build_map_html(
        _records(), tiles="none", center=(31.2565, 121.5215), zoom=15, **page_words()))
    page.wait_for_selector(".aedm-k-aed.aedm-s-ready")
    assert page.evaluate("typeof L") == "object"
    colours = page.evaluate("""() => Object.fromEntries(
        ['ready', 'attention', 'not_ready'].map(s => {
            const e = document.querySelector('.aedm-k-aed.aedm-s-' + s);
            return [s, e && [getComputedStyle(e).backgroundColor, e.textContent]];
        }))""")
    assert colours == {"ready": [OKABE_GREEN, "✓"], "attention": [OKABE_ORANGE, "!"],
                       "not_ready": [OKABE_VERMILLION, "✕"]}
    assert page.locator(".aedm-k-station.aedm-s-low").count() == 1
    assert page.locator(".aedm-k-gateway.aedm-s-offline").count() == 1
    # The caller's words: layer names and legend.
    assert "zh:layer_aed" in page.locator(".leaflet-control-layers").inner_text()
    assert page.locator(".aedm-legend").count() == 1
    assert all(r.startswith("/static/maps/") or r == "/map" for r in page_server.requests)
    _clean(guard)


def test_popup_shows_status_dates_and_link(page_server, guarded_context):
    page, guard = _open(guarded_context, page_server, build_map_html(
        _records(), tiles="none", center=(31.2565, 121.5215), zoom=15, **page_words()))
    page.locator(".aedm-k-aed.aedm-s-ready").click()
    popup = page.locator(".leaflet-popup-content .aedm-popup")
    popup.wait_for()
    assert popup.locator(".aedm-popup-title").inner_text() == "人人屋 AED"
    assert popup.locator(".aedm-status-text").inner_text() == "zh:ready"
    assert popup.locator(".aedm-pad").inner_text() == "2027-05-01"
    assert popup.locator(".aedm-checked").inner_text() == "2026-11-20"
    assert "zh:open" in popup.locator(".aedm-hours").inner_text()
    href = popup.locator("a.aedm-popup-link").get_attribute("href")
    assert href == page_server.url("/assets/a1")
    _clean(guard)


def test_search_and_open_now_filters(page_server, guarded_context):
    page, guard = _open(guarded_context, page_server, build_map_html(
        _records(), tiles="none", center=(31.2565, 121.5215), zoom=15, **page_words("en")))
    assert page.evaluate("aedmapPage.shown") == 5
    page.fill(".aedm-search", "码头")
    page.wait_for_function("() => aedmapPage.shown === 1")
    assert page.locator(".aedm-count").inner_text() == "en:shown: 1"
    page.fill(".aedm-search", "")
    page.wait_for_function("() => aedmapPage.shown === 5")
    page.check(".aedm-open-now input")
    page.wait_for_function("() => aedmapPage.shown === 1")  # only the 24/7 one
    assert page.locator(".aedm.aedm-s-ready").count() == 1
    assert page.locator(".aedm.aedm-s-attention").count() == 0
    _clean(guard)


SH = ZoneInfo("Asia/Shanghai")
OFFICE = "Mo-Fr 09:00-17:00; PH off"
HOURS_WORDS = {"open": "open", "closed": "closed", "hours_unknown": "unknown",
               "closes_at": "closes {time}", "opens_at": "opens {day} {time}",
               "today": "today", "weekdays": "Mon Tue Wed Thu Fri Sat Sun"}


def _ms(d: datetime) -> int:
    return int(d.timestamp() * 1000)


def _hours_page(make, server):
    recs = [MapRecord("p1", "aed", 31.2565, 121.5215, "ready", "党群服务站 AED", "/assets/p1",
                      access_hours=OFFICE),
            MapRecord("p2", "aed", 31.2605, 121.5215, "ready", "码头 AED", "/assets/p2",
                      access_hours="24/7")]
    words = page_words("en")
    words["text"].update(HOURS_WORDS)
    page, guard = _open(make, server, build_map_html(
        recs, tiles="none", center=(31.2565, 121.5215), zoom=15, **words))
    # The window over the end of National Day 2026 and the working Saturday after it.
    page.evaluate("p => aedmapPage.setData(p)", encode(recs, now=datetime(2026, 10, 7, 8, tzinfo=SH)))
    return page, guard


def test_popup_says_when_it_opens_or_closes_from_the_same_data(page_server, guarded_context):
    page, guard = _hours_page(guarded_context, page_server)

    def popup_at(moment: datetime) -> str:
        page.evaluate("""ms => { aedmapPage.nowMs = () => ms; aedmapPage.map.closePopup();
                                 aedmapPage.byKey['aed/p1'].marker.openPopup(); }""", _ms(moment))
        return page.locator(".leaflet-popup-content .aedm-hours").text_content()

    cases = [
        (datetime(2026, 10, 7, 12, tzinfo=SH), "closed · opens Thu 09:00"),  # last holiday
        (datetime(2026, 10, 8, 7, tzinfo=SH), "closed · opens today 09:00"),
        (datetime(2026, 10, 8, 10, tzinfo=SH), "open · closes 17:00"),
        (datetime(2026, 10, 9, 18, tzinfo=SH), "closed · opens Sat 09:00"),  # 调休上班
        (datetime(2026, 10, 10, 16, 30, tzinfo=SH), "open · closes 17:00"),
    ]
    for moment, words in cases:
        assert popup_at(moment) == f"{OFFICE} ({words})"
        # The server says the same.
        state = open_state(OFFICE, moment)
        local = (state.opens_at or state.closes_at)
        assert local is not None and local.astimezone(SH).strftime("%H:%M") in words
    _clean(guard)


def test_open_now_filter_runs_again_when_a_place_closes(page_server, guarded_context):
    page, guard = _hours_page(guarded_context, page_server)
    now = datetime(2026, 10, 8, 10, tzinfo=SH)
    page.evaluate("ms => { aedmapPage.nowMs = () => ms; }", _ms(now))
    page.check(".aedm-open-now input")
    page.wait_for_function("() => aedmapPage.shown === 2")
    assert page.evaluate("aedmapPage.refreshAt") == _ms(datetime(2026, 10, 8, 17, tzinfo=SH))
    # At the moment it fires, the office has closed and only the 24/7 AED is left.
    page.evaluate("ms => { aedmapPage.nowMs = () => ms; aedmapPage.applyFilter(); }",
                  _ms(datetime(2026, 10, 8, 17, tzinfo=SH)))
    assert page.evaluate("aedmapPage.shown") == 1
    # Past the window's end nothing is known: hidden, not guessed.
    page.evaluate("ms => { aedmapPage.nowMs = () => ms; aedmapPage.applyFilter(); }",
                  _ms(datetime(2026, 10, 15, 12, tzinfo=SH)))
    assert page.evaluate("aedmapPage.shown") == 0
    _clean(guard)


def test_nearest_control_uses_geolocation_and_renders_text_safely(page_server, guarded_context):
    seen: list[dict] = []

    def nearest(query):
        seen.append(query)
        return [
            {"id": "a1", "label": XSS[3], "lat": 31.2565, "lon": 121.5215, "distance_m": 42.4,
             "open_now": True, "link": "/assets/a1", "status": "ready"},
            {"id": "zz", "label": XSS[5], "lat": 31.25, "lon": 121.52, "distance_m": 1530,
             "open_now": None, "link": "javascript:globalThis.x=1", "status": "ready"},
        ]

    page_server.json_routes["/api/v1/nearest"] = nearest
    page, guard = _open(
        guarded_context, page_server,
        build_map_html(_records(), tiles="none", nearest_url="/api/v1/nearest",
                       center=(31.2565, 121.5215), zoom=15),
        geolocation={"latitude": 31.2570, "longitude": 121.5220}, permissions=["geolocation"],
    )
    page.click(".aedm-nearest-btn")
    page.wait_for_function("() => document.querySelectorAll('.aedm-nearest-item').length === 2")
    assert seen[0]["lat"] == ["31.257000"] and seen[0]["lon"] == ["121.522000"]
    assert seen[0]["n"] == ["3"] and seen[0]["status"] == ["ready"]
    labels = page.locator(".aedm-nearest-label").all_inner_texts()
    assert labels == [XSS[3], XSS[5]]
    assert page.locator(".aedm-nearest-dist").all_inner_texts() == ["42 m", "1.5 km"]
    links = page.locator("a.aedm-nearest-link")
    assert links.count() == 1  # the javascript: link was dropped
    assert links.first.get_attribute("href") == page_server.url("/assets/a1")
    page.locator(".aedm-nearest-show").first.click()
    page.locator(".leaflet-popup-content .aedm-popup-title").wait_for()
    assert page.locator(".leaflet-popup-content .aedm-popup-title").inner_text() == "人人屋 AED"
    assert page.evaluate("typeof globalThis.x") == "undefined"
    _clean(guard)


def test_xss_probes_execute_nothing_and_show_literally(page_server, guarded_context):
    recs = [
        MapRecord(f"x{i}", "aed", 31.2565 + i * 0.002, 121.5215, "ready", probe, f"/assets/x{i}",
                  description=probe, access_hours=probe)
        for i, probe in enumerate(XSS)
    ]
    page, guard = _open(guarded_context, page_server, build_map_html(
        recs, tiles="none", title=XSS[5], center=(31.2615, 121.5215), zoom=15, **page_words()))
    assert page.evaluate("aedmapPage.shown") == len(XSS)
    for i, probe in enumerate(XSS):
        page.evaluate("aedmapPage.map.closePopup()")
        page.wait_for_function("() => !document.querySelector('.leaflet-popup')")
        page.evaluate(f"aedmapPage.byKey['aed/x{i}'].marker.openPopup()")
        popup = page.locator(".leaflet-popup-content .aedm-popup")
        popup.wait_for()
        assert popup.locator(".aedm-popup-title").text_content() == probe
        assert popup.locator(".aedm-popup-desc").text_content() == probe
        assert popup.locator(".aedm-hours").text_content() == f"{probe} (zh:hours_unknown)"
        assert popup.locator("img, script").count() == 0
    assert page.title() == XSS[5]
    assert page.evaluate("typeof globalThis.x") == "undefined"
    # The markers' title attributes carry the text verbatim too.
    titles = page.eval_on_selector_all(".aedm", "els => els.map(e => e.title).sort()")
    assert titles == sorted(XSS)
    _clean(guard)


@pytest.mark.slow
def test_bbox_mode_loads_markers_for_the_viewport(page_server, guarded_context):
    recs = synthetic_records(1500, spread_deg=0.05)
    calls: list[dict] = []

    def features(query):
        calls.append(query)
        min_lat, min_lon, max_lat, max_lon = parse_bbox(query["bbox"][0], "wgs84")
        inside = [r for r in recs
                  if min_lat <= r.lat <= max_lat and min_lon <= r.lon <= max_lon]
        return features_payload(inside, limit=300)

    page_server.json_routes["/api/v1/map-features"] = features
    html = build_map_html([], tiles="none", mode="bbox", features_url="/api/v1/map-features",
                          center=(31.27, 121.53), zoom=15, **page_words())
    page, guard = _open(guarded_context, page_server, html)
    page.wait_for_function("() => aedmapPage.loaded >= 1")
    assert calls[0]["kind"] == ["aed,station,gateway"]
    first_count = page.evaluate("aedmapPage.items.length")
    assert first_count > 0
    assert page.locator(".aedm, .marker-cluster").count() > 0
    # Zooming out covers more than the cap allows: the page says so.
    page.evaluate("aedmapPage.map.setZoom(12)")
    page.wait_for_function("() => aedmapPage.loaded >= 2")
    assert page.evaluate("aedmapPage.items.length") == 300
    assert page.locator(".aedm-notice").inner_text() == "zh:too_many"
    # Popups keep status and link in bbox mode.
    page.evaluate("aedmapPage.map.setZoom(18)")
    page.wait_for_function("() => aedmapPage.loaded >= 3 && document.querySelector('.aedm')")
    page.evaluate("document.querySelector('.aedm').click()")
    popup = page.locator(".leaflet-popup-content .aedm-popup")
    popup.wait_for()
    assert popup.locator(".aedm-status-text").inner_text().startswith("zh:")
    assert popup.locator("a.aedm-popup-link").get_attribute("href").startswith(
        page_server.url("/assets/"))
    _clean(guard)


@pytest.mark.parametrize(("tiles", "host"), [("osm", "https://tile.openstreetmap.org/"),
                                             ("amap", "https://webrd0")])
def test_tiles_are_the_only_outside_requests(page_server, guarded_context, tiles, host):
    page, guard = _open(guarded_context, page_server, build_map_html(_records(), tiles=tiles))
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tile').length > 0")
    assert guard.outside, "tile requests should have been attempted (and blocked)"
    assert all(u.startswith(host) for u in guard.outside)
    assert page.locator(".aedm").count() + page.locator(".marker-cluster").count() > 0


def test_phone_layout_has_big_touch_targets(page_server, guarded_context):
    server_html = build_map_html(_records(), tiles="none", center=(31.2565, 121.5215))
    page_server.pages["/map"] = server_html
    page, guard = guarded_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page.goto(page_server.url("/map"))
    page.wait_for_function("() => window.aedmapPage && aedmapPage.shown === 5")
    assert 'width=device-width' in page.locator('meta[name=viewport]').get_attribute("content")
    for sel in (".aedm-nearest-btn", ".aedm-search", ".aedm-open-now"):
        box = page.locator(sel).bounding_box()
        assert box is not None and box["height"] >= 44, sel
        assert box["x"] + box["width"] <= 390, sel
    page.locator(".aedm.aedm-s-ready").tap()
    page.locator(".leaflet-popup-content .aedm-status-text").wait_for()
    _clean(guard)
