"""When a first-aider certificate is valid, and how long a new or renewed one lasts.

A certificate lasts ``certificate_valid_years`` from the day it was issued unless it was
given its own expiry (app/training/policy.py: the district's rule to confirm). It is
valid while its expiry lies ahead in local calendar days, the rule of every expiry here
(app/alerts/stages.py: a certificate expiring today no longer counts today). A
certificate course renews it: issued again on the course day, lasting the usual years
from then, never shortened by a course that ends earlier than it already lasts.
The same validity is offered in Python and as SQL; a test checks that they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_

from app.alerts.stages import EXPIRED, expiry_stage
from app.models import Responder


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def is_valid(expires_on: date | None, today: date) -> bool:
    return expires_on is not None and expiry_stage(expires_on, today, ()) != EXPIRED


def valid_sql(today: date) -> ColumnElement[bool]:
    """Responders whose certificate is valid ``today`` (and who are not erased)."""
    return and_(Responder.erased_at.is_(None), Responder.certificate_expires_on.is_not(None),
                Responder.certificate_expires_on > today)


@dataclass(frozen=True)
class Validity:
    issued_on: date | None
    expires_on: date | None


def certificate_dates(issued_on: date | None, expires_on: date | None,
                      years: int) -> Validity:
    """A certificate's dates as recorded: its own expiry when given, else the usual
    years from its issue."""
    if expires_on is None and issued_on is not None:
        expires_on = years_after(issued_on, years)
    return Validity(issued_on, expires_on)


def renewed(current: Validity, course_day: date, years: int) -> Validity:
    """The certificate after a certificate course on ``course_day``."""
    issued = max(current.issued_on, course_day) if current.issued_on else course_day
    lasts = years_after(course_day, years)
    expires = max(current.expires_on, lasts) if current.expires_on else lasts
    return Validity(issued, expires)
