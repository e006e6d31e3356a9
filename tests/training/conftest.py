"""Fixtures of the training tests: a team with a party-service station, a coordinator
and a volunteer, signed-in clients and an API token."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.auth.tokens import issue_token
from app.models import Organisation, Site, Team, User
from tests.factories import make_site, make_team
from tests.support.no_broker import without_broker
from tests.support.web_login import login
from tests.training.factories import PASSWORD, make_org, make_user


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return without_broker(app_config)


@dataclass
class World:
    team: Team
    other_team: Team
    org: Organisation
    station: Site
    point: Site
    coordinator: User
    volunteer: User


@pytest.fixture
def world(db: Session) -> World:
    team = make_team(db, "riverside")
    other = make_team(db, "aikang")
    org = make_org(db)
    station = make_site(db, 1, team, kind="party_service_station")
    point = make_site(db, 2, team, kind="riverside_point")
    coordinator = make_user(db, "coord-train", "coordinator", team)
    volunteer = make_user(db, "vol-train", "volunteer", team)
    db.commit()
    return World(team, other, org, station, point, coordinator, volunteer)


@pytest.fixture
def coordinator_client(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    login(client, world.coordinator.username, PASSWORD)
    return client


@pytest.fixture
def volunteer_client(app: Flask, world: World) -> FlaskClient:
    client = app.test_client()
    login(client, world.volunteer.username, PASSWORD)
    return client


@pytest.fixture
def coordinator_token(db: Session, world: World) -> str:
    token = issue_token(db, db.merge(world.coordinator))
    db.commit()
    return token


@pytest.fixture
def volunteer_token(db: Session, world: World) -> str:
    token = issue_token(db, db.merge(world.volunteer))
    db.commit()
    return token
