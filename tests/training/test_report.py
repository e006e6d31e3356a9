"""The programme report's numbers equal counts made here, independently, from the same
fixtures: people per course type, per branch and per year (local calendar), the upkeep
beside it, and the certificates expiring within 90 days; the CSV says the same."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from app.models import Alert, Asset, AuditLog, Course, Inspection, Organisation, Responder
from tests.factories import make_aed, make_site
from tests.training.conftest import World
from tests.training.factories import attend, days, make_course, make_org, make_responder

YEAR = 2025


@dataclass
class Fixture:
    courses: list[tuple[Course, int]]  # with the people each counts
    orgs: list[Organisation]
    aeds: list[Asset]
    people: list[Responder]


def build(db: Session, world: World) -> Fixture:
    rng = random.Random(15)
    orgs = [world.org, make_org(db, "kongjiang", "控江路街道红十字会", "Kongjiang Rd")]
    people = [make_responder(db, i, days(rng.randint(-200, 400))) for i in range(60)]
    courses: list[tuple[Course, int]] = []
    for n in range(24):
        year = (YEAR - 1, YEAR, YEAR + 1)[n % 3]
        held = date(year, 1, 1) + timedelta(days=rng.randint(0, 364))
        kind = ("certificate", "awareness", "aed_use")[n % 4 % 3]
        org = (orgs[0], orgs[1], None)[n % 5 % 3]
        headcount = rng.randint(20, 300) if kind == "awareness" or n % 7 == 0 else None
        course = make_course(db, held, kind, org, headcount=headcount,
                             place="社区" if n % 2 else None)
        listed = rng.sample(people, rng.randint(0, 12))
        attend(db, course, *listed)
        courses.append((course, headcount if headcount is not None else len(listed)))
    site = make_site(db, 9, world.team)
    aeds = [make_aed(db, site, n) for n in range(1, 4)]
    kit = Asset(external_id="kit-1", kind="first_aid_kit", site_id=site.id, name="急救包",
                lat=site.lat, lon=site.lon)
    db.add(kit)
    db.flush()
    # Moments on both sides of the local year's edges (Asia/Shanghai is UTC+8).
    inside = [datetime(YEAR - 1, 12, 31, 16, 30, tzinfo=UTC), datetime(YEAR, 6, 1, tzinfo=UTC),
              datetime(YEAR, 12, 31, 15, 59, tzinfo=UTC)]
    outside = [datetime(YEAR - 1, 12, 31, 15, 59, tzinfo=UTC),
               datetime(YEAR, 12, 31, 16, 0, tzinfo=UTC)]
    for i, at in enumerate(inside + outside):
        db.add(Inspection(asset_id=aeds[i % 2].id, site_id=site.id, performed_at=at,
                          result="pass"))
        db.add(Inspection(asset_id=kit.id, site_id=site.id, performed_at=at, result="pass"))
        db.add(AuditLog(at=at, actor="vol", action="restock", entity_type="site",
                        entity_id=str(site.id)))
        db.add(AuditLog(at=at, actor="vol", action="inspect", entity_type="asset",
                        entity_id=str(aeds[0].id)))
        for status in ("resolved", "open"):
            db.add(Alert(kind="aed_in_use", severity="urgent", subject_type="asset",
                         subject_id=str(aeds[2].id), dedupe_key=f"x:{i}:{status}",
                         asset_id=aeds[2].id, site_id=site.id, status=status,
                         auto_resolve=False, opened_at=at - timedelta(hours=1),
                         resolved_at=at if status == "resolved" else None))
    db.commit()
    return Fixture(courses, orgs, aeds, people)


def test_the_reports_totals_equal_counts_made_independently(
        db: Session, world: World, coordinator_client: FlaskClient) -> None:
    fixture = build(db, world)
    by_type: Counter[str] = Counter()
    by_branch: Counter[tuple[int | None, str]] = Counter()
    by_year: Counter[tuple[int, str]] = Counter()
    for course, n in fixture.courses:
        by_year[(course.held_on.year, course.course_type)] += n
        if course.held_on.year == YEAR:
            by_type[course.course_type] += n
            by_branch[(course.organisation_id, course.course_type)] += n
    expiring = sum(1 for r in fixture.people
                   if r.certificate_expires_on and days(0) < r.certificate_expires_on <= days(90))

    coordinator_client.get("/lang/en")
    html = coordinator_client.get(f"/reports/programme?year={YEAR}").get_data(as_text=True)

    def shown(element_id: str) -> int:
        found = re.search(rf'id="{element_id}">(\d+)<', html)
        assert found, element_id
        return int(found.group(1))

    assert shown("certificate-trainees") == by_type["certificate"]
    assert shown("awareness-reach") == by_type["awareness"]
    assert shown("aed-use") == by_type["aed_use"]
    assert shown("expiring") == expiring
    assert shown("inspections") == 3 and shown("aeds-inspected") == 2
    assert shown("restocks") == 3 and shown("incidents") == 3
    assert html.count('<rect class="bar"') == 2 * 3  # two charts of three years

    rows = list(csv.DictReader(io.StringIO(coordinator_client.get(
        f"/reports/programme.csv?year={YEAR}").get_data(as_text=True))))
    value = {(r["measure"], r["by"], r["group"]): int(r["value"]) for r in rows}
    for kind in ("certificate", "awareness", "aed_use"):
        assert value[("people", "course_type", kind)] == by_type[kind]
        for org in fixture.orgs:
            assert value.get((f"people_{kind}", "branch", str(org.id)), 0) == \
                by_branch[(org.id, kind)]
        assert value.get((f"people_{kind}", "branch", ""), 0) == by_branch[(None, kind)]
        for year in (YEAR - 1, YEAR, YEAR + 1):
            assert value[(f"people_{kind}", "year", str(year))] == by_year[(year, kind)]
    assert value[("aed_inspections", "", "")] == 3
    assert value[("restocks", "", "")] == 3
    assert value[("use_incidents_handled", "", "")] == 3
    assert value[("certificates_expiring_90_days", "as_of", days(0).isoformat())] == expiring
    assert all(r["year"] == str(YEAR) for r in rows)


def test_a_year_without_courses_and_a_bad_year_argument(
        db: Session, world: World, coordinator_client: FlaskClient) -> None:
    html = coordinator_client.get("/reports/programme?year=1999").get_data(as_text=True)
    assert 'id="report-year">1999<' in html and 'id="certificate-trainees">0<' in html
    html = coordinator_client.get("/reports/programme?year=abc").get_data(as_text=True)
    assert f'id="report-year">{days(0).year}<' in html
    assert coordinator_client.get("/reports/programme.csv?year=-5").status_code == 200


def test_a_branch_name_cannot_become_a_spreadsheet_formula(
        db: Session, world: World, coordinator_client: FlaskClient) -> None:
    org = make_org(db, "evil", "=HYPERLINK(\"http://x\")", None)  # type: ignore[arg-type]
    make_course(db, date(YEAR, 3, 1), "awareness", org, headcount=5)
    db.commit()
    text = coordinator_client.get(f"/reports/programme.csv?year={YEAR}").get_data(as_text=True)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
