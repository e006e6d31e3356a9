"""Teams and the district's structure through the web: the demo carries the article's
branches and teams, a coordinator adds and edits a team under a branch, and the tree
shows district → branches → teams."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.demo import yangpu
from app.models import AuditLog, Organisation, Team
from tests.people.conftest import signed_in, team
from tests.support.web_login import post_form

# The seven district teams the article names (区属红十字志愿服务队).
ARTICLE_TEAMS = ("爱之源红十字志愿服务队", "葛海英博爱驿站", "爱康红十字志愿服务队",
                 "同晓红十字志愿服务队", "御视康红十字志愿服务队", "善馨红十字应急志愿服务队",
                 "红十字造血干细胞杨浦分队")


def organisation(db: Session, code: str) -> Organisation:
    found = db.scalar(select(Organisation).where(Organisation.code == code))
    assert found is not None, code
    return found


def test_the_demo_carries_the_articles_branches_and_teams(seeded: Flask, db: Session) -> None:
    district = organisation(db, yangpu.DISTRICT[0])
    branches = db.scalars(select(Organisation).where(Organisation.parent_id == district.id))
    names = {b.name for b in branches}
    assert len(names) == 12 and all(n.endswith("街道红十字会") for n in names)
    district_teams = {t.name for t in db.scalars(
        select(Team).where(Team.organisation_id == district.id))}
    assert set(ARTICLE_TEAMS) <= district_teams
    assert organisation(db, "daqiao").id == team(db, "daqiao-aed").organisation_id
    before = db.scalar(select(func.count()).select_from(Team))
    again = seeded.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0 and db.scalar(select(func.count()).select_from(Team)) == before


def test_the_organisation_tree(seeded: Flask, db: Session) -> None:
    html = signed_in(seeded, "coordinator").get("/organisations").get_data(as_text=True)
    district = html.index('data-code="yp-redcross"')
    daqiao = html.index('data-code="daqiao"')
    assert district < html.index('data-code="shanxin"') < daqiao
    assert daqiao < html.index('data-code="daqiao-aed"')
    assert len(re.findall(r'class="org org-subdistrict"', html)) == 12
    for name in ARTICLE_TEAMS:
        assert name in html
    english = signed_in(seeded, "coordinator")
    english.get("/lang/en")
    assert "Dinghai Road Subdistrict Red Cross" in english.get("/organisations").get_data(
        as_text=True)


def test_a_coordinator_adds_and_edits_a_team_under_a_branch(seeded: Flask,
                                                            db: Session) -> None:
    coordinator = signed_in(seeded, "coordinator")
    form = coordinator.get("/teams/new").get_data(as_text=True)
    assert "殷行街道红十字会" in form
    bad = post_form(coordinator, "/teams/new", {"code": "Bad Code", "name": "",
                                                "organisation_id": ""}, "/teams/new")
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    for name in ("code", "name", "organisation_id"):
        assert f'id="{name}-error"' in html, name
    yinhang = organisation(db, "yinhang")
    made = post_form(coordinator, "/teams/new", {
        "code": "yinhang-aed", "name": "殷行街道AED巡检队", "organisation_id": yinhang.id,
        "leader_name": "钱伟", "contact_phone": "13600006666"}, "/teams/new")
    assert made.status_code == 302 and made.location == "/teams"
    created = team(db, "yinhang-aed")
    assert created.organisation_id == yinhang.id
    listed = coordinator.get("/teams").get_data(as_text=True)
    assert "殷行街道AED巡检队" in listed and "13600006666" in listed
    taken = post_form(coordinator, "/teams/new", {"code": "yinhang-aed", "name": "x",
                                                  "organisation_id": yinhang.id}, "/teams/new")
    assert taken.status_code == 400 and 'id="code-error"' in taken.get_data(as_text=True)

    moved = post_form(coordinator, f"/teams/{created.id}/edit", {
        "name": "殷行街道AED巡检队", "name_en": "Yinhang AED Team",
        "organisation_id": organisation(db, "daqiao").id, "leader_name": "钱伟",
        "contact_phone": "13600006666"}, "/teams")
    assert moved.status_code == 302
    db.expire_all()
    assert team(db, "yinhang-aed").organisation_id == organisation(db, "daqiao").id
    tree = coordinator.get("/organisations").get_data(as_text=True)
    assert tree.index('data-code="daqiao"') < tree.index('data-code="yinhang-aed"')
    entries = db.scalars(select(AuditLog).where(AuditLog.entity_type == "team",
                                                AuditLog.entity_id == str(created.id))).all()
    assert [(e.action, e.actor) for e in entries] == [("create", "coordinator"),
                                                      ("update", "coordinator")]
