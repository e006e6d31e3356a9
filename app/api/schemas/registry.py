"""What the registry's write bodies share: JSON's own types, checked here (400 when a
member is not even of its type), and the documented limits, which the one validator
(app/registry/rules.py) enforces with 422 naming the field, on this path as on the
web form's and the import's."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field, StrictBool

from app.registry import rules


def _json_number(value: Any) -> Any:
    """A JSON number: true is no number and "31.2" is text, which lax mode would take."""
    if isinstance(value, bool | str):
        raise ValueError("must be a number")
    return value


#: A number in a JSON body.
JsonNumber = Annotated[float, BeforeValidator(_json_number)]


def text(max_length: int, description: str | None = None, required: bool = False) -> Any:
    """A text member, documented with its limit (refused with 422 past it)."""
    extra: dict[str, Any] = {"maxLength": max_length}
    if required:
        extra["pattern"] = r"\S"
    return Field(None, description=description, json_schema_extra=extra)


def number(lo: float, hi: float, description: str) -> Any:
    return Field(None, description=description, json_schema_extra={"minimum": lo, "maximum": hi})


def choice(values: tuple[str, ...], description: str) -> Any:
    return Field(None, description=description, json_schema_extra={"enum": list(values)})


def flag(description: str) -> Any:
    return Field(None, description=description)


Flag = StrictBool | None


class HoursCheck(BaseModel):
    """Whether the access hours are understood (a value that is not is kept, and the
    AED's hours show as unknown)."""

    valid: bool
    reason: str | None = Field(description="Why not, when not.")


class Retire(BaseModel):
    """Why the asset is taken out of service for good (it keeps its record and history)."""

    reason: str = Field(description="Required.",
                        json_schema_extra={"maxLength": rules.MAX_REASON, "pattern": r"\S"})


def given(body: BaseModel) -> dict[str, Any]:
    """The members the caller sent, as the validator takes them (absent: unchanged)."""
    return {name: getattr(body, name) for name in body.model_fields_set}
