"""A writer may touch more AEDs than one SQL statement can name (PostgreSQL takes at most
65,535 parameters): the deadline job after a day on which many pads' stages moved, a
site's edit, a bulk import. Coverage still follows them."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.coverage.freshness import track_coverage
from app.extensions import get_aed_context
from app.models import CoverageAed, utcnow
from tests.factories import make_aed, make_site

MANY = 70_000


def test_coverage_follows_a_refresh_of_more_aeds_than_one_statement_can_name(
        app: Flask, db: Session) -> None:
    aed = make_aed(db, make_site(db))
    db.commit()
    # One real AED among ids no row has: the statements are as long as for real ones.
    track_coverage(db, [aed.id, *range(10_000_000, 10_000_000 + MANY)], utcnow(),
                   get_aed_context(app).tz)
    db.commit()
    assert db.scalars(select(CoverageAed.asset_id)).all() == [aed.id]
