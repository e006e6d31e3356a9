"""Station cover: a party-service station needs two responders with a valid certificate
(the default), any site can be given its own minimum; falling below shows on the site
page, in the worklist and as an attention alert, at once for a writer and hourly as
certificates expire."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Alert, Site
from app.training.cover import KIND
from tests.support.web_login import post_form
from tests.training.conftest import World
from tests.training.factories import days, make_responder
from tests.training.test_reminders import at_ten, run_hour


def cover_alerts(db: Session, site: Site) -> list[Alert]:
    db.expire_all()
    return list(db.scalars(select(Alert).where(Alert.site_id == site.id, Alert.kind == KIND)
                           .order_by(Alert.id)))


def reason_on_page(client: FlaskClient, site: Site) -> str | None:
    html = client.get(f"/sites/{site.id}").get_data(as_text=True)
    found = re.search(r'<p id="cover" data-reason="([^"]*)"', html)
    return found.group(1) if found else None


def test_a_station_left_with_one_valid_responder_shows_responders_below_minimum(
        app: Flask, db: Session, world: World, coordinator_client: FlaskClient,
        volunteer_client: FlaskClient) -> None:
    first = make_responder(db, 1, days(400), team=world.team, sites=[world.station])
    second = make_responder(db, 2, days(400), team=world.team, sites=[world.station])
    db.commit()
    run_hour(app, at_ten(0))
    assert cover_alerts(db, world.station) == []
    assert reason_on_page(coordinator_client, world.station) == ""

    # The coordinator takes the second person off the station: the writer re-checks.
    resp = post_form(coordinator_client, f"/responders/{second.id}/edit", {
        "name": second.name, "phone": second.phone, "team_id": world.team.id,
        "certificate_number": second.certificate_number,
        "certificate_issued_on": second.certificate_issued_on,
        "certificate_expires_on": second.certificate_expires_on,
        "site_rows": 1, "site-0": "", "role-0": ""}, f"/responders/{second.id}/edit")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    [alert] = cover_alerts(db, world.station)
    assert (alert.status, alert.severity, alert.detail) == (
        "open", "warning", {"responders": 1, "minimum": 2})
    assert reason_on_page(coordinator_client, world.station) == "responders_below_minimum"
    html = volunteer_client.get(f"/sites/{world.station.id}").get_data(as_text=True)
    assert "持证救护员不足" in html
    # The worklist of the station's team shows it.
    worklist = volunteer_client.get("/").get_data(as_text=True)
    assert f'href="/sites/{world.station.id}"' in worklist and "持证救护员不足" in worklist
    assert f"/alerts/{alert.id}" in worklist

    # The last one's certificate expires as days pass: the hourly check keeps it right.
    first = db.merge(first)
    first.certificate_expires_on = days(2)
    db.commit()
    run_hour(app, at_ten(3))
    [alert] = cover_alerts(db, world.station)
    assert alert.detail == {"responders": 0, "minimum": 2}


def test_a_site_may_need_its_own_minimum(
        app: Flask, db: Session, world: World, coordinator_client: FlaskClient) -> None:
    make_responder(db, 1, days(400), sites=[world.point])
    db.commit()
    run_hour(app, at_ten(0))
    assert cover_alerts(db, world.point) == []  # a riverside point needs nobody by default
    assert reason_on_page(coordinator_client, world.point) == ""

    path = f"/sites/{world.point.id}/cover"
    bad = post_form(coordinator_client, path, {"min_responders": "two"}, path)
    assert bad.status_code == 400
    assert 'id="min_responders-error"' in bad.get_data(as_text=True)
    assert post_form(coordinator_client, path, {"min_responders": "3"}, path).status_code == 302
    [alert] = cover_alerts(db, world.point)
    assert alert.detail == {"responders": 1, "minimum": 3}
    assert reason_on_page(coordinator_client, world.point) == "responders_below_minimum"

    # Back to the default (empty): nobody needed, the alert resolves at once.
    assert post_form(coordinator_client, path, {"min_responders": ""}, path).status_code == 302
    assert [a.status for a in cover_alerts(db, world.point)] == ["resolved"]
    db.expire_all()
    assert db.get(Site, world.point.id).min_responders is None  # type: ignore[union-attr]


def test_the_cover_form_is_for_coordinators(
        db: Session, world: World, volunteer_client: FlaskClient) -> None:
    path = f"/sites/{world.station.id}/cover"
    assert volunteer_client.get(path).status_code == 403
    assert post_form(volunteer_client, path, {"min_responders": "0"}, "/").status_code == 403


def test_expiring_stage_does_not_count_as_expired_until_the_day(
        app: Flask, db: Session, world: World) -> None:
    make_responder(db, 1, days(1), sites=[world.station])
    make_responder(db, 2, days(1) + timedelta(days=1), sites=[world.station])
    db.commit()
    run_hour(app, at_ten(0))
    assert cover_alerts(db, world.station) == []
    run_hour(app, at_ten(1))  # the first expires today: it no longer counts today
    [alert] = cover_alerts(db, world.station)
    assert alert.detail == {"responders": 1, "minimum": 2}
