"""The demo's training programme: a few courses at the district's two training bases and
out in the "五进" settings, and the responders who staff the riverside party-service
stations. Every name is invented and says so (（演示）); the phones use the 100 prefix,
which no mobile network in China gives out.

Staffing is set up to show what the programme watches: one station with its two
certified people, one left with a single valid certificate (responders_below_minimum),
one person's certificate expiring within 30 days (a reminder to the team) and one
lapsed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Course, CourseAttendance, Organisation, Responder, ResponderSite, Site, Team
from app.training.certificates import years_after
from app.training.refresh import TrainingContext, check_training

# (name, station code, team code, days until the certificate expires)
RESPONDERS: list[tuple[str, str, str, int]] = [
    ("（演示）陈晓雯", "pss-renren-1", "shanxin", 700),
    ("（演示）王建华", "pss-renren-1", "shanxin", 420),
    ("（演示）刘志刚", "pss-renren-2", "shanxin", 900),
    ("（演示）赵敏", "pss-renren-2", "shanxin", 25),
    ("（演示）孙丽", "pss-renren-3", "daqiao-aed", 600),
    ("（演示）周强", "pss-renren-3", "daqiao-aed", -40),
]


def seed_training(session: Session, now: datetime, ctx: TrainingContext) -> int:
    """Courses and responders of the demo, on top of the loaded demo (app/demo/seed.py);
    how many responders were added (0 when they are there already)."""
    if session.scalar(select(Responder.id).where(Responder.phone == _phone(1))):
        return 0
    today = now.astimezone(ctx.tz).date()
    years = ctx.policy.certificate_valid_years
    district = session.scalar(select(Organisation.id).where(Organisation.level == "district"))
    branch = session.scalar(select(Organisation.id).where(Organisation.code == "pingliang"))
    certificate = Course(held_on=today - timedelta(days=30), course_type="certificate",
                         training_base="central_hospital", trainer="（演示）区中心医院急诊科",
                         organisation_id=district)
    awareness = Course(held_on=today - timedelta(days=12), course_type="awareness",
                       place="（演示）平凉路街道某小学", outreach_setting="school",
                       organisation_id=branch, headcount=86)
    aed_use = Course(held_on=today - timedelta(days=5), course_type="aed_use",
                     training_base="kongjiang_hospital", place="滨江人人屋(1号)",
                     outreach_setting="community", organisation_id=branch, headcount=24)
    session.add_all([certificate, awareness, aed_use])
    sites = {s.external_id: s.id for s in session.scalars(select(Site))}
    teams = {t.code: t.id for t in session.scalars(select(Team))}
    session.flush()
    for n, (name, station, team, left) in enumerate(RESPONDERS, start=1):
        expires = today + timedelta(days=left)
        issued = years_after(expires, -years)  # a certificate lasting the usual years
        person = Responder(name=name, phone=_phone(n), team_id=teams.get(team),
                           organisation_id=branch, certificate_number=f"DEMO-RC-{n:04d}",
                           certificate_issued_on=issued, certificate_expires_on=expires)
        session.add(person)
        session.flush()
        if station in sites:
            session.add(ResponderSite(responder_id=person.id, site_id=sites[station],
                                      role="station_staff"))
        session.add(CourseAttendance(course_id=certificate.id if n <= 3 else aed_use.id,
                                     responder_id=person.id, added_at=now))
    session.flush()
    check_training(session, now, ctx)
    return len(RESPONDERS)


def _phone(n: int) -> str:
    return f"1000000{n:04d}"
