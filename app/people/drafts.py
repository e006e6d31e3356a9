"""What a manager sets on a row (an account, a team), as a frozen dataclass whose fields
are named as the row's attributes: read from the row, compared with it, written to it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Self, TypeVar

from sqlalchemy.orm import Session

Row = TypeVar("Row")


def optional_text(value: str | None) -> str | None:
    """Outer spaces dropped; empty text is no value."""
    return (value or "").strip() or None


@dataclass(frozen=True)
class Draft:
    @classmethod
    def of(cls, row: object) -> Self:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})

    def apply_to(self, row: object) -> None:
        for f in fields(self):
            setattr(row, f.name, getattr(self, f.name))


def add_new(session: Session, row: Row, draft: Draft) -> Row:
    """A new row with a checked draft's fields, added and flushed (so its id is known)."""
    draft.apply_to(row)
    session.add(row)
    session.flush()
    return row


def save_changes(session: Session, row: object, draft: Draft) -> bool:
    """Write a checked draft to its row; False when the row holds it already."""
    if draft == type(draft).of(row):
        return False
    draft.apply_to(row)
    session.flush()
    return True
