"""Shared fixtures for stock tests: a station that needs a restock, as the hourly jobs
left it (an open restock task, stock_low, stock_expired and stock_expiring open), and a
volunteer of its team signed in to the web app."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.alerts.policy import AlertPolicy
from app.extensions import get_alert_policy
from app.models import User, utcnow
from app.stock.jobs import run_restock, run_stock_expiry
from tests.stock.factories import PASSWORD, TZ, Restockable, make_user, restockable_station
from tests.support.web_login import login


@pytest.fixture
def policy(app: Flask) -> AlertPolicy:
    return get_alert_policy(app)


@pytest.fixture
def restockable(db: Session, policy: AlertPolicy) -> Restockable:
    station = restockable_station(db)
    now = utcnow()
    run_restock(db, now, TZ, policy)
    run_stock_expiry(db, now, TZ, policy)
    db.commit()
    return station


@pytest.fixture
def volunteer(db: Session, restockable: Restockable) -> User:
    user = make_user(db, "vol-stock", "volunteer", restockable.team)
    db.commit()
    return user


@pytest.fixture
def signed_in(client: FlaskClient, volunteer: User) -> FlaskClient:
    login(client, volunteer.username, PASSWORD)
    return client
