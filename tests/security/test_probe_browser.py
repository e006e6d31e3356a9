"""The map pages in Debian's Chromium (Playwright) with a probe in every field: every
marker's popup is opened and shows its text literally, and the page runs nothing — no
dialog, no ``window.__pwned``, no Content-Security-Policy violation, no console error.

Two data sets: every probe, and only the probes that are valid Jinja (the original
builder rendered those instead of failing, and one of them closed the data element and
ran a script of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Asset, Gateway, Site
from tests.security.probe_fixtures import (  # noqa: F401 - fixture
    ADMIN,
    PASSWORD,
    ProbeWorld,
    app_config,
    build_world,
)
from tests.security.probes import ALL, EVALUATING, PWNED
from tests.support.browsers import chromium, live_flask, need_chromium

pytestmark = [pytest.mark.sqlite_only, pytest.mark.browser, pytest.mark.slow]

# Runs before any page script, in every document: records CSP violations.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push([e.violatedDirective, e.blockedURI, e.sourceFile,
                               e.lineNumber, e.sample].join(' | '));
}, true);
"""

# Opens every marker's popup in turn (expanding its cluster first when it is in one) and
# reads the popup back. A marker that cannot be shown within 15 s is reported, not waited
# for forever.
OPEN_EVERY_POPUP = """
async () => {
  const page = window.aedmapPage, out = [];
  for (const it of page.items) {
    const shown = await Promise.race([
      new Promise(done => page.groups[it.rec.kind].zoomToShowLayer(it.marker, () => done(true))),
      new Promise(done => setTimeout(() => done(false), 15000)),
    ]);
    if (!shown) { out.push({key: it.rec.kind + '/' + it.rec.id, shown: false}); continue; }
    it.marker.openPopup();
    const popup = it.marker.getPopup();
    const root = popup.getElement();
    const box = root ? root.querySelector('.aedm-popup') : null;
    const text = sel => { const e = box && box.querySelector(sel); return e ? e.textContent : null; };
    const icon = it.marker.getElement();
    out.push({
      key: it.rec.kind + '/' + it.rec.id, shown: true, open: popup.isOpen(), box: !!box,
      rec: {label: it.rec.label, desc: it.rec.desc, contact: it.rec.contact,
            hours: it.rec.hoursText},
      title: text('.aedm-popup-title'), desc: text('.aedm-popup-desc'),
      contact: text('.aedm-contact'), hours: text('.aedm-hours'),
      iconTitle: icon ? icon.title : null,
      foreign: box ? box.querySelectorAll(
        'img, script, svg, iframe, style, object, embed, a:not(.aedm-popup-link)').length : -1,
    });
  }
  return out;
}
"""

RAN = f"""() => [typeof window.{PWNED}, typeof parent.{PWNED}, typeof top.{PWNED}]"""


@dataclass
class Watch:
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium(need_chromium()) as b:
        yield b


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    with live_flask(app) as base:
        yield base


def open_page(browser: Browser, locale: str) -> tuple[Page, Watch]:
    watch = Watch()
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    ctx.add_init_script(WATCH_CSP)

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith("data:") or urlsplit(url).hostname == "127.0.0.1":
            r.continue_()
        else:
            watch.outside.append(url)
            r.abort()

    def dialog(d: Any) -> None:
        watch.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.errors.append(f"pageerror: {e}"))
    page.on("dialog", dialog)
    return page, watch


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", ADMIN)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


def expected_records(db: Session, public: bool, english: bool) -> dict[str, dict[str, str]]:
    """What each marker must show, from the database (the text exactly as stored)."""
    def label(name: str, name_en: str | None) -> str:
        return name_en if english and name_en else name

    want: dict[str, dict[str, str]] = {}
    sites = {s.id: s for s in db.scalars(select(Site))}
    for a in db.scalars(select(Asset).where(Asset.kind == "aed")):
        site = sites[a.site_id]
        want[f"aed/{a.id}"] = {
            "label": label(a.name, a.name_en), "desc": a.description or "",
            "hours": a.access_hours or site.opening_hours or "",
            "contact": " ".join(p for p in (site.contact_name, site.contact_phone) if p)}
    for s in sites.values():
        want[f"station/{s.id}"] = {
            "label": label(s.name, s.name_en), "desc": s.address or "",
            "hours": s.opening_hours or "",
            "contact": " ".join(p for p in (s.contact_name, s.contact_phone) if p)}
    if not public:
        for g in db.scalars(select(Gateway)):
            at = sites[g.site_id] if g.site_id else None
            want[f"gateway/{g.id}"] = {
                "label": g.name or g.id, "desc": "", "hours": "",
                "contact": " ".join(p for p in (at.contact_name, at.contact_phone) if p)
                if at else ""}
    return want


def popup_problems(results: list[dict[str, Any]], want: dict[str, dict[str, str]],
                   public: bool) -> list[str]:
    problems = []
    if sorted(r["key"] for r in results) != sorted(want):
        problems.append(f"markers {sorted(r['key'] for r in results)} != {sorted(want)}")
    for r in results:
        key = r["key"]
        if key not in want:
            continue
        w = want[key]
        if not r["shown"] or not r["open"] or not r["box"]:
            problems.append(f"{key}: popup not shown ({r})")
            continue
        rec = r["rec"]
        checks = [
            ("label", rec["label"], w["label"]), ("popup title", r["title"], w["label"]),
            ("icon title", r["iconTitle"], w["label"]), ("description", rec["desc"], w["desc"]),
            ("hours", rec["hours"], w["hours"]),
            ("popup description", r["desc"], w["desc"] or None),
        ]
        if w["hours"]:
            # "<hours> (<open now?>)": the text as typed, then the page's own words.
            shown = r["hours"] or ""
            checks.append(("popup hours", shown[:len(w["hours"]) + 2], w["hours"] + " ("))
        if public:
            checks.append(("contact", rec["contact"], ""))
        if rec["contact"]:
            # Contacts are the internal map's, for those who may see them.
            checks += [("contact", rec["contact"], w["contact"]),
                       ("popup contact", r["contact"], w["contact"])]
        for what, got, expected in checks:
            if got != expected:
                problems.append(f"{key}: {what} is {got!r}, typed was {expected!r}")
        if r["foreign"] != 0:
            problems.append(f"{key}: {r['foreign']} elements made from text in the popup")
    return problems


def visit(page: Page, watch: Watch, url: str, want: dict[str, dict[str, str]],
          public: bool) -> list[str]:
    response = page.goto(url)
    assert response is not None
    if response.status != 200:
        return [f"{url}: answered {response.status}"]
    problems = []
    # The page script sets up the map and its markers while the document loads.
    if page.evaluate("typeof window.aedmapPage") != "object":
        problems.append(f"{url}: the map did not start")
    else:
        if public:
            page.uncheck(".aedm-open-now input")  # on by default there; show every probe
        results = page.evaluate(OPEN_EVERY_POPUP)
        problems += [f"{url}: {p}" for p in popup_problems(results, want, public)]
    ran = page.evaluate(RAN)
    if ran != ["undefined"] * 3:
        problems.append(f"{url}: a probe ran (window/parent/top.{PWNED}: {ran})")
    violations = page.evaluate("window.__cspViolations")
    if violations:
        problems.append(f"{url}: CSP violations {violations}")
    for what, items in (("dialogs", watch.dialogs), ("console errors", watch.errors),
                        ("outside requests", watch.outside)):
        if items:
            problems.append(f"{url}: {what} {items}")
    return problems


@pytest.mark.parametrize("corpus", [
    pytest.param(ALL, id="all-probes"),
    pytest.param(EVALUATING, id="valid-jinja-probes"),
])
def test_map_popups_show_probes_and_run_nothing(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, db: Session, browser: Browser,
    live_server: str, corpus: Any,
) -> None:
    world: ProbeWorld = build_world(app, client, runner, db, corpus)
    db.expire_all()
    problems: list[str] = []

    signed_in, watch_in = open_page(browser, "zh-CN")
    sign_in(signed_in, live_server)
    watch_in.errors.clear()  # only the map page's own count below
    problems += visit(signed_in, watch_in, f"{live_server}/map",
                      expected_records(db, public=False, english=False), public=False)

    anonymous, watch_anon = open_page(browser, "en-GB")
    # The page language is the session's choice (the English labels are name_en).
    anonymous.goto(f"{live_server}/lang/en?next=/assets")
    watch_anon.errors.clear()
    problems += visit(anonymous, watch_anon, f"{live_server}/map/public",
                      expected_records(db, public=True, english=True), public=True)
    assert problems == [], "\n".join(problems)
    assert len(world.asset_ids) == len(corpus)
