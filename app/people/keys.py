"""The key a person types to name an account or a team (a username, a team code): its
form, and that no other row holds it in any letter case (``Li`` and ``li`` would be one
person to the people reading them)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.people.invalid import Problems


def check_new_key(session: Session, problems: Problems, name: str, value: str,
                  form: re.Pattern[str], column: InstrumentedAttribute[Any],
                  malformed: str, taken: str) -> None:
    """Note under ``name`` a ``value`` not of ``form`` or already in ``column``."""
    if not form.fullmatch(value):
        problems.add(name, malformed)
    elif session.scalar(select(func.count()).where(func.lower(column) == value.lower())):
        problems.add(name, taken)
