"""Fixtures of the registry tests: a team's site with one AED, a coordinator and a
volunteer of that team, their bearer tokens, and signed-in web clients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.aeds.refresh import refresh_aeds
from app.auth.tokens import issue_token
from app.extensions import get_aed_context
from app.models import Asset, Site, Team, User, utcnow
from tests.factories import make_aed, make_site, make_team
from tests.stock.factories import PASSWORD, local_today, make_user
from tests.support.no_broker import without_broker
from tests.support.web_login import login


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    # No broker listens here: a config push after an edit fails fast, nothing leaks.
    return without_broker(app_config, 1.0)


@dataclass
class Registry:
    team: Team
    site: Site
    aed: Asset
    coordinator: User
    volunteer: User
    today: date

    def days(self, n: int) -> date:
        return self.today + timedelta(days=n)


@pytest.fixture
def registry(app: Flask, db: Session) -> Registry:
    today = local_today()
    team = make_team(db)
    site = make_site(db, team=team, address="杨浦滨江秦皇岛路码头", opening_hours="24/7")
    aed = make_aed(db, site, pad=today + timedelta(days=400),
                   battery=today + timedelta(days=800), access_hours="24/7",
                   last_inspection_at=utcnow())
    refresh_aeds(db, [aed.id], utcnow(), get_aed_context(app))
    coordinator = make_user(db, "coord-reg", "coordinator")
    volunteer = make_user(db, "vol-reg", "volunteer", team)
    db.commit()
    return Registry(team, site, aed, coordinator, volunteer, today)


def bearer(db: Session, user: User) -> dict[str, str]:
    token = issue_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def coordinator_token(db: Session, registry: Registry) -> dict[str, str]:
    return bearer(db, registry.coordinator)


@pytest.fixture
def volunteer_token(db: Session, registry: Registry) -> dict[str, str]:
    return bearer(db, registry.volunteer)


@pytest.fixture
def coordinator_web(client: FlaskClient, registry: Registry) -> FlaskClient:
    login(client, registry.coordinator.username, PASSWORD)
    return client


@pytest.fixture
def volunteer_web(app: Flask, registry: Registry) -> FlaskClient:
    other = app.test_client()
    login(other, registry.volunteer.username, PASSWORD)
    return other
