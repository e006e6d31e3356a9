"""What an operation on people reports when its input breaks a rule: every problem at
once, each naming the field it is about, so a form shows it beside that field and the
API names it in its 422."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# N_ is re-exported: app/people's operations mark their messages with it.
from app.i18n.marked import N_ as N_
from app.i18n.marked import Marked


@dataclass(frozen=True)
class Problem(Marked):
    #: The field it is about, as the form and the API name it.
    name: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)


class PeopleInvalid(ValueError):
    """Nothing was changed; ``problems`` says what to correct."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.name}: {p.text}" for p in problems))
        self.problems = tuple(problems)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)


class NotAllowed(PermissionError):
    """The person acting may not do this (to this account)."""


@dataclass
class Problems:
    """Collects the problems of one input; ``check`` raises them all at once."""

    found: list[Problem] = field(default_factory=list)

    def add(self, name: str, message: str, **params: Any) -> None:
        if not self.has(name):  # the first problem of a field is the one to show
            self.found.append(Problem(name, message, params))

    def has(self, name: str) -> bool:
        return any(p.name == name for p in self.found)

    def check(self) -> None:
        if self.found:
            raise PeopleInvalid(self.found)
