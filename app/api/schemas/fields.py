"""Field types shared by the resources: how a value is read and documented (ids,
timestamps, JSON integers and dates, comma-separated filters, one-of text)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

MAX_ID = 2**31 - 1

#: A database id (PostgreSQL integer): larger values name nothing.
DbId = Annotated[int, Field(ge=0, le=MAX_ID)]


def _iso(value: datetime) -> str:
    return value.isoformat()


#: A moment, timezone-aware UTC inside, written as ISO 8601 with its offset ("+00:00").
Timestamp = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _json_integer(value: Any) -> Any:
    """JSON Schema counts 3.0 as an integer, so a JSON body may say 3.0; true is no number
    and "3" is text, which pydantic's lax mode would both take."""
    if isinstance(value, bool | str):
        raise ValueError("must be an integer")
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


#: An integer in a JSON body.
JsonInt = Annotated[int, BeforeValidator(_json_integer)]
# Bounds before the validator: after it pydantic cannot fold them into the integer schema
# and the document would carry them as unknown keywords.
JsonId = Annotated[int, Field(ge=0, le=MAX_ID), BeforeValidator(_json_integer)]


def _date_text(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date (YYYY-MM-DD)") from None


#: A date in a JSON body: only its ISO text (lax mode would read numbers as timestamps).
JsonDate = Annotated[date, BeforeValidator(_date_text)]

#: Text that is more than white space.
Text = Annotated[str, Field(pattern=r"\S")]


@dataclass(frozen=True, eq=False)  # hashed by identity: typing hashes Annotated metadata
class ParsedText:
    """Field metadata: a query value read by ``parse`` (which raises ValueError with the
    reason) and documented by ``schema``."""

    parse: Callable[[str], Any]
    schema: dict[str, Any]

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self._read)

    def __get_pydantic_json_schema__(self, schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return dict(self.schema)

    def _read(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("must be text")
        return self.parse(value)


#: What a comma-separated filter is read into.
Choice = tuple[str, ...]


def comma_separated(allowed: Iterable[str], description: str) -> ParsedText:
    """A filter such as ``status=ready,attention``, read into a tuple of members."""
    members = tuple(allowed)
    one = "|".join(re.escape(v) for v in members)

    def parse(value: str) -> tuple[str, ...]:
        values = tuple(v for v in value.split(",") if v)
        if not values or any(v not in members for v in values):
            raise ValueError(f"must be a comma-separated list of: {', '.join(members)}")
        return values

    return ParsedText(parse, {"type": "string", "pattern": f"^({one})(,({one}))*$",
                              "description": description})


@dataclass(frozen=True)
class OneOf:
    """Field metadata: text that is one of ``values`` (a tuple the domain defines, so no
    ``Literal`` can name it), documented as an enum."""

    values: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.literal_schema(list(self.values))


_NUMBER = r"-?[0-9]{1,3}(\.[0-9]{1,8})?"
#: How clients usually write a box; the server reads any four numbers.
BBOX_PATTERN = f"^{_NUMBER}(,{_NUMBER}){{3}}$"
