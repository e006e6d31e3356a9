"""Text a user typed never becomes template source.

branca's MacroElement renders each macro, makes the output a new Jinja template and
renders that again; the map builder used to print the data blobs from a macro, so an AED
imported as ``{{ 7*7 }}`` showed as ``49`` on the public map and ``{% raw %}`` made the map
pages answer 500. Here: the builder with every probe, the Map object it hands out, the
CSP nonce on its inline code, the app's map pages after a real import, and the
notification texts through a real SMTP server and HTTP receiver.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.aeds.reconcile import reconcile
from app.aeds.refresh import AedContext
from app.alerts.digest import enqueue_digests
from app.alerts.policy import AlertPolicy
from app.db import Database
from app.extensions import get_settings
from app.models import Asset, NotificationChannel, NotificationLog, NotificationRoute, Team
from app.notify.dispatch import dispatch_pending
from app.notify.outbox import enqueue_alert_notifications
from maps.builder import build_map, build_map_html
from maps.escape import html_and_js_text, json_for_script
from maps.records import MapRecord
from tests.notify.conftest import hook, mail  # noqa: F401 - fixtures
from tests.notify.receivers import MailBox, WebhookReceiver
from tests.security.probe_fixtures import (  # noqa: F401 - fixture
    ADMIN,
    PASSWORD,
    app_config,
)
from tests.security.probes import ALL, Probe, mark
from tests.support.web_login import login

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
POLICY = AlertPolicy(retry_base_s=30, retry_max_s=600, max_attempts=5, send_timeout_s=5)
NONCE = "n0nce-Test_123"


class Elements(HTMLParser):
    """(tag, attributes, text) of every script and style element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[tuple[str, dict[str, str | None], str]] = []
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._open, self._text = (tag, dict(attrs)), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]:
            self.found.append((*self._open, "".join(self._text)))
            self._open = None


def elements(html: str) -> list[tuple[str, dict[str, str | None], str]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def is_data(attrs: dict[str, str | None]) -> bool:
    return attrs.get("type") == "application/json"


def probe_records(text: str) -> list[MapRecord]:
    return [
        MapRecord("a1", "aed", 31.2565, 121.5215, "ready", text, "/assets/a1",
                  access_hours=text, description=text, contact=text),
        MapRecord("s1", "station", 31.2605, 121.5300, "low", text, "/sites/s1",
                  access_hours=text, description=text, contact=text),
        MapRecord("g1", "gateway", 31.2525, 121.5095, "offline", text, "/gateways",
                  contact=text),
    ]


def _builder_problems(probe: Probe) -> list[str]:
    text = probe.text
    try:
        html = build_map_html(probe_records(text), tiles="none", title=text)
    except Exception as exc:  # the original builder raised TemplateSyntaxError here
        return [f"{text!r}: building the page raised {type(exc).__name__}: {exc}"]
    problems = []
    blobs = []
    for _tag, attrs, body in elements(html):
        if is_data(attrs):
            try:
                blobs.append(json.loads(body))
            except ValueError as exc:
                problems.append(f"{text!r}: a data element is not JSON any more: {exc}")
    data = next((b for b in blobs if b and "rows" in b), None)
    if data is None:
        return [*problems, f"{text!r}: no data element with the records"]
    for row in data["rows"]:
        row = row + [""] * (13 - len(row))
        # label, description (gateways have none), contact
        shown = [row[5], row[11], row[12]]
        want = [text, "" if row[1] == 2 else text, text]
        if shown != want:
            problems.append(f"{text!r}: row {row[0]} shows {shown!r}")
    if [h[0] for h in data["hours"]] != [text]:
        problems.append(f"{text!r}: hours shown as {data['hours']!r}")
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    if title is None or title.group(1) != html_and_js_text(text):
        problems.append(f"{text!r}: title is {title.group(1) if title else None!r}")
    # Outside the data elements and the title, nothing of the text remains.
    code = re.sub(r'<script type="application/json"[^>]*>.*?</script>', "", html, flags=re.S)
    code = re.sub(r"<title>.*?</title>", "", code, flags=re.S)
    for form in {text, json_for_script(text)[1:-1]}:
        if form in code:
            problems.append(f"{text!r}: appears outside the data elements")
    return problems


def test_builder_keeps_every_probe_literal() -> None:
    problems = [p for probe in ALL for p in _builder_problems(probe)]
    assert problems == [], "\n".join(problems)


def test_the_map_object_carries_no_user_text() -> None:
    """Whatever build_map returns, rendering its folium Map (as a caller might) gives
    placeholders, never the records or the title: no user text reaches folium."""
    text = mark("an", 0, "{{ 7*7 }}</script>")
    built = build_map(probe_records(text), tiles="none", title=text)
    folium_map: Any = getattr(built, "map", built)
    rendered = str(folium_map.get_root().render())
    for needle in ("PBan00x", "x00BP", "7*7", "</script>x"):
        assert needle not in rendered, needle
    assert built is not folium_map
    assert json_for_script(text) in built.render()


def test_nonce_marks_every_inline_script_and_style_and_no_data() -> None:
    text = mark("an", 0, '<script nonce="x">window.__pwned=1</script><style>')
    html = build_map_html(probe_records(text), tiles="osm", title=text, nonce=NONCE)
    found = elements(html)
    code = [(tag, attrs, body) for tag, attrs, body in found if not is_data(attrs)]
    assert {tag for tag, _a, _b in code} == {"script", "style"}
    for tag, attrs, body in code:
        assert attrs.get("nonce") == NONCE, (tag, attrs, body[:200])
        assert "PBan00x" not in body
    for _tag, attrs, body in found:
        if is_data(attrs):
            assert "nonce" not in attrs
            assert "<" not in body
    # Exactly the page's own elements carry it: the typed nonce="x" did not become code.
    assert html.count(f'nonce="{NONCE}"') == len(code)
    assert 'nonce="x"' not in html
    assert 'nonce="' not in build_map_html(probe_records(text), tiles="osm")
    for bad in ('x" onload="alert(1)', "", "a b", "<x>"):
        with pytest.raises(ValueError):
            build_map_html([], tiles="none", nonce=bad)


# --- the app, after a real import -------------------------------------------------------

def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _cli_import(runner: FlaskCliRunner, tmp_path: Path, names: list[str],
                site_names: list[str] | None = None,
                teams: list[str] | None = None) -> None:
    site_names = site_names or [f"站点 {i}" for i in range(len(names))]
    sites = _write_csv(tmp_path / "sites.csv",
                       ["external_id", "name", "kind", "lat", "lon", "team_code"],
                       [[f"tpl-site-{i}", site_names[i], "first_aid_station",
                         f"{31.25 + i * 0.01:.5f}", "121.52", teams[i] if teams else ""]
                        for i in range(len(names))])
    assets = _write_csv(tmp_path / "assets.csv",
                        ["external_id", "site_external_id", "kind", "name", "lat", "lon",
                         "pad_expiry", "public"],
                        [[f"tpl-aed-{i}", f"tpl-site-{i}", "aed", name,
                          f"{31.254 + i * 0.01:.5f}", "121.524", "2020-01-01", "yes"]
                         for i, name in enumerate(names)])
    for kind, path in (("sites", sites), ("assets", assets)):
        result = runner.invoke(args=["import", kind, str(path)])
        assert result.exit_code == 0, result.output


def _map_labels(html: str) -> list[str]:
    blobs = [json.loads(body) for _t, attrs, body in elements(html) if is_data(attrs)]
    data = next(b for b in blobs if b and "rows" in b)
    return [row[5] for row in data["rows"]]


def test_template_names_show_literally_and_raw_answers_200(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    names = ["{{ 7*7 }}", "{% raw %}"]
    _cli_import(runner, tmp_path, names)
    result = runner.invoke(args=["user", "add", ADMIN, "--role", "coordinator",
                                 "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    anonymous = app.test_client()
    login(client, ADMIN, PASSWORD)
    for who, c, url in (("coordinator", client, "/map"), ("anonymous", anonymous, "/map"),
                        ("anonymous", anonymous, "/map/public")):
        resp = c.get(url)
        if who == "anonymous" and url == "/map":
            assert resp.status_code == 302  # sign in first
            continue
        assert resp.status_code == 200, (url, resp.status_code)
        labels = _map_labels(resp.get_data(as_text=True))
        assert [n for n in names if n in labels] == names, (url, labels)
        assert "49" not in labels and "" not in labels, (url, labels)


def test_map_pages_mark_their_inline_code_with_the_request_nonce(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    _cli_import(runner, tmp_path, ["{{ 7*7 }}"])
    seen = set()
    for _ in range(2):
        resp = client.get("/map/public")
        assert resp.status_code == 200
        policy = resp.headers.get("Content-Security-Policy", "")
        script = re.search(r"script-src [^;]*'nonce-([^']+)'", policy)
        style = re.search(r"style-src [^;]*'nonce-([^']+)'", policy)
        assert script and style and script.group(1) == style.group(1), policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        nonce = script.group(1)
        seen.add(nonce)
        code = [(t, a) for t, a, _b in elements(resp.get_data(as_text=True)) if not is_data(a)]
        assert code
        for tag, attrs in code:
            assert attrs.get("nonce") == nonce, (tag, attrs)
    assert len(seen) == 2  # a new nonce for every response


# --- notifications through real receivers -----------------------------------------------

def _channel(db: Session, name: str, kind: str, config: dict[str, Any]) -> NotificationChannel:
    channel = NotificationChannel(name=name, kind=kind, config=config)
    channel.routes = [NotificationRoute(team_id=None), NotificationRoute(team_id=None,
                                                                         digest=True)]
    db.add(channel)
    return channel


def _one_line(text: str) -> str:
    """A Subject header holds no line breaks; each becomes a space."""
    return " ".join(text.splitlines())


def test_probes_arrive_literally_by_email_and_webhook(
    app: Flask, db: Session, runner: FlaskCliRunner, tmp_path: Path,
    mail: tuple[int, MailBox], hook: WebhookReceiver,  # noqa: F811
) -> None:
    port, box = mail
    n = len(ALL)
    names = [mark("an", i, p.text) for i, p in enumerate(ALL)]
    site_names = [mark("sn", i, p.text) for i, p in enumerate(ALL)]
    team_names = [mark("tn", i, p.text) for i, p in enumerate(ALL)]
    for i in range(n):
        db.add(Team(code=f"tpl-team-{i}", name=team_names[i], name_en=team_names[i]))
    db.commit()
    _cli_import(runner, tmp_path, names, site_names, [f"tpl-team-{i}" for i in range(n)])
    _channel(db, "mail", "email", {"host": "127.0.0.1", "port": port,
                                   "sender": "aed@yangpu-redcross.test",
                                   "to": ["coordinator@yangpu-redcross.test"]})
    for fmt in ("wecom", "json", "dingtalk_markdown"):
        _channel(db, f"hook-{fmt}", "webhook", {"url": f"{hook.url}&fmt={fmt}", "format": fmt})
    db.commit()
    settings = get_settings(app)
    # Checked this morning: the only alert each AED raises is its expired pads.
    db.execute(update(Asset).values(last_inspection_at=NOW))
    reconcile(db, NOW, AedContext.of(settings, POLICY))
    enqueue_alert_notifications(db, NOW, settings, POLICY)
    enqueue_digests(db, NOW, settings, "2026-11-29")
    db.commit()
    database: Database = app.extensions["aed.db"]
    dispatch_pending(database, NOW, settings, POLICY)
    db.expire_all()
    failed = [(r.subject, r.last_error) for r in db.scalars(select(NotificationLog))
              if r.status != "sent"]
    assert failed == []

    mails = []
    for m in box.messages:
        plain = m.get_body(preferencelist=("plain",))
        assert plain is not None
        mails.append((str(m["Subject"]), str(plain.get_content())))
    hooks = [json.dumps(b, ensure_ascii=False) for b in hook.bodies]
    assert len(mails) == 2 * n and len(hook.bodies) == 3 * 2 * n
    problems = []
    for i in range(n):
        alert_mail = [(s, b) for s, b in mails if names[i] in b]
        if not (len(alert_mail) == 1 and f"地点:{site_names[i]}" in alert_mail[0][1]
                and _one_line(site_names[i]) in alert_mail[0][0]):
            problems.append(f"alert email for {ALL[i].text!r}: {alert_mail!r}")
        digest_mail = [(s, b) for s, b in mails if b.startswith(team_names[i] + " ")]
        if not (len(digest_mail) == 1 and _one_line(team_names[i]) in digest_mail[0][0]):
            problems.append(f"digest email for {ALL[i].text!r}: {digest_mail!r}")
        for needle in (names[i], site_names[i], team_names[i]):
            encoded = json.dumps(needle, ensure_ascii=False)[1:-1]
            if sum(encoded in h for h in hooks) < 3:
                problems.append(f"webhooks lack {needle!r}")
    assert problems == [], "\n".join(problems)
