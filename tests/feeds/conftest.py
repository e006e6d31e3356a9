"""Fixtures of the feed tests: a small page size (paging is seen with a few AEDs), a
district with a Red Cross branch, public AEDs and some the feed must never show, and a
coordinator's bearer token for the registry API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from app.aeds.refresh import refresh_aeds
from app.extensions import get_aed_context
from app.models import Asset, Organisation, Site, utcnow
from tests.factories import make_aed, make_site, make_team
from tests.registry.conftest import bearer
from tests.stock.factories import local_today, make_user
from tests.support.no_broker import without_broker

PAGE_SIZE = 2
#: Personal data the fixtures hold; no byte of it may reach the feed.
PERSONAL = ("13911112222", "王阿姨", "13800001111", "李站长")


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**without_broker(app_config, 1.0), "FEED_PAGE_SIZE": PAGE_SIZE}


@dataclass
class District:
    branch: Organisation
    site: Site
    #: In the feed, in id order.
    public: list[Asset]
    #: Never in the feed: not public, at a fictional (demo) site, a first-aid kit.
    hidden: list[Asset]
    today: date


@pytest.fixture
def district(app: Flask, db: Session) -> District:
    today = local_today()
    branch = Organisation(code="changhai", name="长海路街道红十字会",
                          name_en="Changhai Road Subdistrict Red Cross", level="subdistrict")
    db.add(branch)
    db.flush()
    team = make_team(db)
    site = make_site(db, team=team, organisation_id=branch.id, opening_hours="24/7",
                     contact_name="李站长", contact_phone="13800001111")
    demo = make_site(db, 2, is_fictional=True)
    fine = {"pad": today + timedelta(days=400), "battery": today + timedelta(days=800),
            "last_inspection_at": utcnow() - timedelta(days=3),
            "guardian_name": "王阿姨", "guardian_phone": "13911112222"}
    public = [make_aed(db, site, n, cabinet="东侧入口柜内", cabinet_en="East entrance cabinet",
                       level="0", indoor=True, **fine) for n in (1, 2, 3, 4)]
    kit = make_aed(db, site, 7, **fine)
    kit.kind = "first_aid_kit"
    hidden = [make_aed(db, site, 5, public=False, **fine), make_aed(db, demo, 6, **fine), kit]
    refresh_aeds(db, [a.id for a in public + hidden], utcnow(), get_aed_context(app))
    db.commit()
    return District(branch, site, public, hidden, today)


@pytest.fixture
def coordinator(db: Session) -> dict[str, str]:
    return bearer(db, make_user(db, "coord-feed", "coordinator"))
