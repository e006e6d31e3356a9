"""Coverage on the seeded demo, through the paths users and devices take: a riverside
AED's cabinet reports a failed self-test (the ingest writer), coverage now drops by
exactly the cells only it reached, the worklist puts it above a not-ready AED with a
ready neighbour 50 m away, and its page, its line and its alert say what it costs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from geopy.distance import geodesic
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.refresh import refresh_aeds
from app.coverage.context import coverage_context
from app.extensions import get_settings
from app.i18n import SESSION_KEY
from app.models import Alert, Asset, CoverageAed
from maps.hours import open_state
from tests.coverage.demo import (
    aed,
    aed_context,
    api_coverage,
    covered_cells,
    fail_self_test,
    token_for,
)
from tests.factories import make_aed
from tests.support.web_login import login

RIVERSIDE = "aed-yp-001"  # Qinhuangdao Rd wharf: ready, 24/7, nobody else near
BRIDGE_EAST = "aed-yp-007"  # not ready (pads expired), 24/7


def unique_cells(app: Flask, db: Session, code: str, at: datetime) -> set[int]:
    """By brute force (geopy): raster cells within reach of the AED that no other AED
    ready or needing attention, and open at ``at``, reaches."""
    ctx = coverage_context(get_settings(app).tz)
    reach, grid = ctx.settings.reach_m, ctx.grid
    me = aed(db, code)
    others = [a for a in db.scalars(select(Asset).where(
        Asset.kind == "aed", Asset.id != me.id, Asset.status.in_(("ready", "attention"))))
        if open_state(a.access_hours or a.site.opening_hours or "", at).open]
    mine = [c for c in range(grid.size)
            if geodesic((me.lat, me.lon), (grid.lat[c], grid.lon[c])).meters <= reach]
    return {int(grid.index[c]) for c in mine
            if not any(geodesic((o.lat, o.lon), (grid.lat[c], grid.lon[c])).meters <= reach
                       for o in others)}


def add_ready_neighbour(app: Flask, db: Session, code: str, metres: float, now: datetime) -> Asset:
    """A ready AED open round the clock ``metres`` north of this one (the registry's
    writer path: stored, then evaluated by refresh_aeds)."""
    near = aed(db, code)
    today = now.date()
    neighbour = make_aed(db, near.site, n=901, pad=today + timedelta(days=400),
                         battery=today + timedelta(days=800), access_hours="24/7",
                         last_inspection_at=now - timedelta(days=3))
    neighbour.lat = near.lat + metres / 110_900
    neighbour.lon = near.lon
    refresh_aeds(db, [neighbour.id], now, aed_context(app))
    db.commit()
    assert neighbour.status == "ready", neighbour.status_reasons
    return neighbour


def english(client: FlaskClient) -> None:
    with client.session_transaction() as session:
        session[SESSION_KEY] = "en"


def line_of(html: str, name: str) -> str:
    items = re.findall(r'<li class="work.*?</li>\s*(?=<li class="work|</ol>)', html, re.S)
    found = [i for i in items if name in i]
    assert found, f"{name} not in the worklist"
    return found[0]


def test_a_failed_self_test_costs_exactly_its_unique_cells(
        seeded: Flask, client: FlaskClient, db: Session) -> None:
    headers = token_for(db, "coordinator")
    now = datetime.now(UTC)
    before = api_coverage(client, headers, now)
    unique = unique_cells(seeded, db, RIVERSIDE, now)
    assert unique, "the riverside AED covers cells nobody else does"
    assert unique <= covered_cells(before)

    fail_self_test(seeded, db, RIVERSIDE, now)
    db.expire_all()
    assert aed(db, RIVERSIDE).status == "not_ready"

    after = api_coverage(client, headers, now)
    assert covered_cells(after) == covered_cells(before) - unique
    cells = before["cells"]
    assert before["share"] - after["share"] == pytest.approx(len(unique) / cells, abs=2e-6)


def test_the_worklist_puts_the_gap_first_and_the_pages_show_the_loss(
        seeded: Flask, client: FlaskClient, db: Session) -> None:
    now = datetime.now(UTC)
    add_ready_neighbour(seeded, db, BRIDGE_EAST, 50, now)
    fail_self_test(seeded, db, RIVERSIDE, now)
    db.expire_all()
    riverside, bridge = aed(db, RIVERSIDE), aed(db, BRIDGE_EAST)
    assert (riverside.status, bridge.status) == ("not_ready", "not_ready")
    cells = coverage_context(get_settings(seeded).tz).grid.size
    lost = len(unique_cells(seeded, db, RIVERSIDE, datetime.now(UTC))) / cells
    lost_text = f"{lost * 100:.1f} %"

    login(client, "coordinator")
    zh = client.get("/").get_data(as_text=True)
    assert f"现在因此失去区域 {lost_text} 的覆盖" in line_of(zh, riverside.name)
    english(client)
    html = client.get("/").get_data(as_text=True)
    assert html.index(riverside.name) < html.index(bridge.name)
    line = line_of(html, riverside.name)
    assert f"Coverage lost now: {lost_text} of the area" in line
    # The bridge AED's ready neighbour 50 m away covers most of what it would.
    bridge_line = line_of(html, bridge.name)
    bridge_lost = re.search(r"Coverage lost now: ([\d.]+) %", bridge_line)
    assert bridge_lost is None or float(bridge_lost.group(1)) < lost * 100 / 2
    assert 'id="coverage-summary"' in html

    page = client.get(f"/assets/{riverside.id}").get_data(as_text=True)
    assert f"Coverage lost now: {lost_text} of the area" in page

    # The writer's hook stored what it carries over the week, and its alert says so.
    stored = db.get(CoverageAed, riverside.id)
    assert stored is not None and stored.criticality > 0 and not stored.ready
    alert = db.scalar(select(Alert).where(Alert.asset_id == riverside.id,
                                          Alert.kind == "self_test_failed"))
    assert alert is not None and alert.detail is not None
    cost = alert.detail["coverage_lost"]
    assert cost == round(stored.criticality * 100, 2) > 0
    shown = client.get(f"/alerts/{alert.id}").get_data(as_text=True)
    shown_cost = re.search(r"coverage cost: ([\d.]+) % of the area over the week", shown)
    assert shown_cost is not None and float(shown_cost.group(1)) == pytest.approx(cost, abs=0.05)


def test_the_scheduler_job_stores_the_week_for_the_api_and_dashboard(
        seeded: Flask, client: FlaskClient, runner: FlaskCliRunner, db: Session) -> None:
    headers = token_for(db, "coordinator")
    assert client.get("/api/v1/coverage/week", headers=headers).status_code == 503
    result = runner.invoke(args=["jobs", "run-once", "coverage"])
    assert result.exit_code == 0, result.output
    week = client.get("/api/v1/coverage/week", headers=headers).get_json()
    assert len(week["hours"]) == 168 and all(0 <= h <= 1 for h in week["hours"])
    low = min(week["hours"])
    assert week["worst"] and all(week["hours"][h] == pytest.approx(low)
                                 for w in week["worst"] for h in range(w["start"], w["end"]))
    # Nights are worse than office hours: the indoor AEDs close.
    assert week["hours"][3] < week["hours"][10]
    login(client, "coordinator")
    english(client)
    html = client.get("/").get_data(as_text=True)
    assert "Typical week:" in html and "Lowest," in html
