"""The error body of every /api/ answer that is not a success (RFC 9457)."""

from __future__ import annotations

# typing's TypedDict before Python 3.12 lacks what pydantic needs to read it.
from typing import NotRequired

from typing_extensions import TypedDict


class InvalidParam(TypedDict):
    #: Parameter or body member, dotted for nested members ("" for the whole input).
    name: str
    reason: str


# Functional form: RFC 9457 spells the member "invalid-params".
Problem = TypedDict("Problem", {
    "type": str,
    "title": str,
    "status": int,
    "detail": NotRequired[str],
    "instance": NotRequired[str],
    "invalid-params": NotRequired[list[InvalidParam]],
})
