"""The key a person types to name an account or a team (a username, a team code): its
form, and that no other row holds it in any letter case (``Li`` and ``li`` would be one
person to the people reading them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.people.invalid import Problems


@dataclass(frozen=True)
class NewKey:
    """The key of a new row: the field it is sent in, its ``form``, the ``column`` no
    other row may hold it in, and what to say when it is ``malformed`` or ``taken``."""

    name: str
    form: re.Pattern[str]
    column: InstrumentedAttribute[Any]
    malformed: str
    taken: str

    def checked(self, session: Session, value: str, problems: Problems) -> str:
        """``value`` trimmed, noted in ``problems`` when not of the form or taken."""
        value = value.strip()
        if not self.form.fullmatch(value):
            problems.add(self.name, self.malformed)
        elif session.scalar(select(func.count()).where(
                func.lower(self.column) == value.lower())):
            problems.add(self.name, self.taken)
        return value
