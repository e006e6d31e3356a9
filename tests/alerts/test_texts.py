"""Alert words in the reader's language and local time: the renderer's tables, then every
kind on the pages people read (alert list and detail, dashboard, asset and site pages)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import unescape
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.alerts import texts
from app.alerts.catalogue import KINDS
from app.i18n.when import local_day, local_moment
from tests.alerts.scene import STAGES, Scene, build_scene, full_detail, local_year, sign_in

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
#: "AED" is what Chinese signs and volunteers call the device; °C, % and min are units.
ALLOWED_WORDS = {"AED", "C"}


@dataclass(frozen=True)
class Facts:
    kind: str
    detail: dict[str, Any] | None = None
    stage: int | None = None


def english_words(text: str, *exempt: str) -> list[str]:
    """ASCII letter words left in ``text`` once names, ids and units are taken out."""
    for name in exempt:
        text = text.replace(name, "")
    return [w for w in re.findall(r"[A-Za-z]+", text) if w not in ALLOWED_WORDS]


# --- time and date, as people write them ----------------------------------------------

@pytest.mark.parametrize(("value", "locale", "expected"), [
    (datetime(2026, 12, 1, 14, 44, tzinfo=UTC), "zh_CN", "12月1日 22:44"),
    (datetime(2026, 12, 1, 14, 44, tzinfo=UTC), "en", "1 Dec 22:44"),
    (datetime(2026, 12, 1, 16, 5, tzinfo=UTC), "zh_CN", "12月2日 00:05"),  # next local day
    (datetime(2026, 12, 1, 16, 5, tzinfo=UTC), "en", "2 Dec 00:05"),
    (datetime(2025, 12, 1, 14, 44, tzinfo=UTC), "zh_CN", "2025年12月1日 22:44"),
    (datetime(2025, 12, 1, 14, 44, tzinfo=UTC), "en", "1 Dec 2025 22:44"),
    (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), "zh_CN", "2027年1月1日 00:00"),
    (datetime(2026, 1, 5, 1, 2), "en-GB", "5 Jan 09:02"),  # naive means UTC
    (datetime(2026, 7, 9, 7, 30, tzinfo=UTC), "zh-CN", "7月9日 15:30"),
])
def test_local_moment(value: datetime, locale: str, expected: str) -> None:
    assert local_moment(value, locale, TZ, NOW) == expected


@pytest.mark.parametrize(("value", "locale", "expected"), [
    (date(2026, 12, 1), "zh_CN", "12月1日"),
    (date(2026, 12, 1), "en", "1 Dec"),
    (date(2026, 3, 15), "en", "15 Mar"),
    (date(2027, 3, 1), "zh_CN", "2027年3月1日"),
    (date(2027, 3, 1), "en", "1 Mar 2027"),
    (date(2025, 9, 30), None, "2025年9月30日"),  # no locale: zh-CN
])
def test_local_day(value: date, locale: str | None, expected: str) -> None:
    assert local_day(value, locale, date(2026, 12, 2)) == expected


# --- the renderer -----------------------------------------------------------------------

def test_every_kind_has_words_and_every_detail_key_a_reader() -> None:
    assert set(texts.WORDS) == set(KINDS)
    for kind in KINDS.values():
        assert set(kind.detail_keys) <= texts.KNOWN_KEYS, kind.code
        assert set(full_detail(kind.code, 2026)) == set(kind.detail_keys), kind.code
    # Sentences (app/alerts/words.toml) use only slots the kind can fill, the same in
    # both languages.
    for code, words in texts.WORDS.items():
        keys = KINDS[code].detail_keys
        allowed = {*keys, "stage", "item_names", *(f"{k}_none" for k in keys)}
        for sentence in words.sentences:
            zh, en = (slots(t) for t in (sentence.zh, sentence.en))
            assert zh == en and zh <= allowed, (code, sentence)
        for cause in (words.causes or {}):
            assert "cause" in keys, (code, cause)


def slots(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_renders_in_one_language_from_its_detail(kind: str) -> None:
    facts = Facts(kind, full_detail(kind, 2026), STAGES.get(kind))
    zh = texts.text(facts, "zh_CN", TZ, "滨江AED1", NOW)
    en = texts.text(facts, "en", TZ, "Riverside AED 1", NOW)
    zh_title, en_title = texts.title(kind, "zh_CN"), texts.title(kind, "en")
    assert zh.startswith("滨江AED1:") and en.startswith("Riverside AED 1: ")
    assert english_words(zh + zh_title, "cab-01", "kit-99") == [], zh
    assert not CJK.search(en + en_title), en
    # Every value the detail carries is shown, times in local time.
    for key, value in full_detail(kind, 2026).items():
        if key in texts.MOMENT_KEYS:
            assert "12月1日 22:44" in zh and "1 Dec 22:44" in en
            assert "14:44" not in zh + en and "T14" not in zh + en
        elif key in texts.DAY_KEYS:
            day = date.fromisoformat(value)
            assert f"{day.month}月{day.day}日" in zh and f"{day.day} " in en, key
        elif key in texts.NUMBER_KEYS:
            assert f"{value:g}" in zh and f"{value:g}" in en, key
        elif key in texts.ID_KEYS:
            assert value in zh and value in en
    if kind in STAGES:
        assert f"≤{STAGES[kind]} 天" in zh and f"within {STAGES[kind]} days" in en


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_old_rows_without_detail_get_the_generic_sentence(kind: str) -> None:
    for detail in (None, {}, {"door_opened_at": "2026-12-01T14:44:00+00:00", "text": "x"}):
        facts = Facts(kind, detail)
        zh, en = texts.text(facts, "zh_CN", TZ, now=NOW), texts.text(facts, "en", TZ, now=NOW)
        if KINDS[kind].detail_keys:
            assert (zh, en) == (texts.title(kind, "zh_CN"), texts.title(kind, "en"))
        assert not CJK.search(en) and english_words(zh) == []


def test_unreadable_values_fall_back_never_crash() -> None:
    bad = Facts("gateway_offline", {"last_seen": "yesterday", "cause": "cosmic rays"})
    assert texts.text(bad, "zh_CN", TZ, now=NOW) == "网关离线"
    odd = Facts("battery_low", {"battery_pct": True, "min_pct": float("nan")})
    assert texts.text(odd, "en", TZ, now=NOW) == "Battery low"
    never = Facts("gateway_offline", {"last_seen": None, "cause": "silent"})
    assert texts.text(never, "zh_CN", TZ, now=NOW) == "网关已离线(超时无上报),从未上报"
    assert texts.text(never, "en", TZ, now=NOW) == "Gateway offline (no reports), never seen"
    unchecked = Facts("inspection_overdue", {"due": None})
    assert texts.text(unchecked, "en", TZ, now=NOW) == "Never checked: monthly check overdue"
    names = Facts("stock_low", {"items": ["无菌纱布", "碘伏棉棒"]})
    assert texts.text(names, "zh_CN", TZ, now=NOW) == "物资低于最低库存:无菌纱布、碘伏棉棒,需要补货"


def test_the_issue_example_reads_in_one_language_and_local_time() -> None:
    offline = Facts("gateway_offline", {"last_seen": "2026-12-01T14:44+00:00", "cause": "will"})
    assert texts.text(offline, "zh_CN", TZ, "滨江网关", NOW) == \
        "滨江网关:网关已离线(连接意外中断),最后上报 12月1日 22:44"
    assert texts.text(offline, "en", TZ, "Riverside gateway", NOW) == \
        "Riverside gateway: Gateway offline (connection lost), last seen 1 Dec 22:44"


def test_titles_and_texts_agree_on_expiring_and_expired() -> None:
    for thing in ("pad", "battery", "stock"):
        soon = Facts(f"{thing}_expiring", full_detail(f"{thing}_expiring", 2026))
        gone = Facts(f"{thing}_expired", full_detail(f"{thing}_expired", 2026))
        assert "即将过期" in texts.title(soon.kind, "zh_CN")
        assert "已过期" in texts.title(gone.kind, "zh_CN")
        assert "将" in texts.text(soon, "zh_CN", TZ, now=NOW)
        assert "已" in texts.text(gone, "zh_CN", TZ, now=NOW)
        assert "expiring" in texts.title(soon.kind, "en").lower()
        assert "expired" in texts.title(gone.kind, "en").lower()
        assert "expired" not in texts.text(soon, "en", TZ, now=NOW)
        assert "expire" in texts.text(gone, "en", TZ, now=NOW)


# --- on the pages ------------------------------------------------------------------------

_ITEM = re.compile(
    r'<a class="alert-title" href="/alerts/(\d+)">([^<]*)</a>.*?'
    r'<small class="alert-text">([^<]*)</small>', re.S)


def _alert_lines(html: str) -> dict[int, tuple[str, str]]:
    return {int(i): (unescape(t), unescape(x)) for i, t, x in _ITEM.findall(html)}


@pytest.fixture
def signed_in(client: FlaskClient, db: Session) -> tuple[FlaskClient, Scene]:
    return sign_in(client, build_scene(db))


def _pages(scene: Scene) -> list[tuple[str, set[str]]]:
    """Each page that lists alerts, and the kinds it must show."""
    asset_kinds = {k for k, kind in KINDS.items() if kind.subject == "asset"}
    site_kinds = {k for k, kind in KINDS.items() if kind.subject == "site"}
    return [
        ("/alerts", set(KINDS)),
        ("/?scope=all", asset_kinds | site_kinds),
        (f"/assets/{scene.aeds['not_ready'].id}", asset_kinds),
        (f"/sites/{scene.stations['low'].id}", site_kinds),
    ]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_kind_on_every_page_in_the_readers_language(
        signed_in: tuple[FlaskClient, Scene], locale: str) -> None:
    client, scene = signed_in
    client.get(f"/lang/{locale}")
    year = local_year()
    for path, kinds in _pages(scene):
        resp = client.get(path)
        assert resp.status_code == 200, path
        lines = _alert_lines(resp.get_data(as_text=True))
        for kind in kinds:
            alert = scene.alerts[kind]
            title, text = lines[alert.id]
            want = texts.text(alert, locale, TZ, scene.subjects[kind][locale == "en"])
            assert (title, text) == (texts.title(kind, locale), want), (path, kind)
            zh_name, en_name = scene.subjects[kind]
            if locale == "zh_CN":
                assert text.startswith(zh_name)
                assert english_words(title + text, zh_name, "cab-01", "kit-99") == [], text
            else:
                assert text.startswith(en_name)
                assert not CJK.search(title + text.replace(en_name, "")), text
            if set(KINDS[kind].detail_keys) & texts.MOMENT_KEYS:
                assert ("12月1日 22:44" if locale == "zh_CN" else "1 Dec 22:44") in text
                assert "14:44" not in text and str(year) not in text


def test_alert_detail_page_shows_title_and_text(signed_in: tuple[FlaskClient, Scene]) -> None:
    client, scene = signed_in
    alert = scene.alerts["gateway_offline"]
    html = unescape(client.get(f"/alerts/{alert.id}").get_data(as_text=True))
    assert '<h1 class="alert-title">网关离线</h1>' in html
    assert "滨江网关offline:网关已离线(连接意外中断),最后上报 12月1日 22:44" in html
    client.get("/lang/en")
    html = unescape(client.get(f"/alerts/{alert.id}").get_data(as_text=True))
    assert '<h1 class="alert-title">Gateway offline</h1>' in html
    assert "Gateway offline (connection lost), last seen 1 Dec 22:44" in html
    assert "网关已离线" not in html


def test_a_stored_sentence_is_never_shown(signed_in: tuple[FlaskClient, Scene],
                                          db: Session) -> None:
    client, scene = signed_in
    alert = scene.alerts["stock_expiring"]
    alert.message = "急救站有物资已过期 · stock expired (3 lots)"
    db.commit()
    html = client.get("/alerts").get_data(as_text=True)
    assert "stock expired" not in html and "急救站有物资已过期" not in html
    assert "3 批物资即将过期" in unescape(html)
