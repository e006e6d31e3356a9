"""Shapes shared by the resources: path references, pages of results, bodies with
personal members. The field types they are made of are in app.api.schemas.fields."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, Field, create_model

from app.api.schemas.fields import DbId


def omitted_when(note: str, omitted: Callable[[str], bool]
                 ) -> Callable[[dict[str, Any]], None]:
    """json_schema_extra for a body some callers get without some fields (the model
    always has them; the view drops them): those become optional, with ``note``."""

    def mark(schema: dict[str, Any]) -> None:
        properties: dict[str, Any] = schema.get("properties", {})
        dropped = {name for name in properties if omitted(name)}
        schema["required"] = [n for n in schema.get("required", ()) if n not in dropped]
        if not schema["required"]:
            del schema["required"]
        for name in dropped:
            properties[name]["description"] = note

    return mark


def among(names: Iterable[str]) -> Callable[[str], bool]:
    return frozenset(names).__contains__


#: What the document says of a personal member (app.auth.permissions decides who sees it).
PERSONAL_ONLY = "Coordinators and admins only."


def personal(members: Iterable[str]) -> Callable[[dict[str, Any]], None]:
    """json_schema_extra (a class keyword) of a body whose ``members`` are personal data,
    left out for callers who may not see them."""
    return omitted_when(PERSONAL_ONLY, among(members))


class PathRef(BaseModel):
    """The variables of a route's path; a value the model refuses names no ``noun``."""

    noun: ClassVar[str]


def id_ref(noun: str, name: str | None = None) -> type[PathRef]:
    """The path of a route naming one ``noun`` by its database id, ``<noun>_id``: the
    one place that ties the variable's name to the noun a 404 names."""
    variable: dict[str, Any] = {f"{noun}_id": (DbId, ...)}
    ref = create_model(name or f"{noun.capitalize()}Ref", __base__=PathRef, **variable)
    ref.noun = noun
    return ref


class PageQuery(BaseModel):
    limit: int = Field(50, ge=1, le=500, description="Page size.")
    offset: int = Field(0, ge=0, le=10_000_000, description="Rows to skip.")


Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """One page of a list: ``total`` counts every match."""

    items: list[Item]
    total: int = Field(ge=0)
    limit: int
    offset: int
