"""The route registry of /api/v1: each operation is declared once, with its access level
and its models, and both Flask's URL map and the OpenAPI document are made from that.

    @api.get("/sites/<int:site_id>", summary="One site", path=SiteRef, reply=Site)
    def get_site(site_id: int) -> ResponseReturnValue: ...

Before the view runs, the registry checks the access level, then validates the path
variables (a value the model refuses names nothing: 404), the query string and the JSON
body (400 problem details); the view receives the validated values as keyword arguments
(path fields by name, ``query=``, ``body=``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, TypedDict, TypeVar, Unpack

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError

from app.api.access import Access, require
from app.api.problems import bad_request, not_found
from app.api.schemas.common import PathRef
from app.api.validation import invalid_input

View = TypeVar("View", bound=Callable[..., ResponseReturnValue])
_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass(frozen=True)
class Operation:
    method: str  # lower case, as OpenAPI writes it
    rule: str  # Flask rule, relative to the blueprint
    endpoint: str
    summary: str
    reply: Any  # what a success answers: a model class, or a type pydantic knows
    status: int = 200
    access: Access = Access.READER
    path: type[PathRef] | None = None
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    #: Problem statuses of the operation's own (not found, another team's, conflicts).
    errors: Mapping[int, str] = field(default_factory=dict)
    description: str | None = None
    #: Media types a success answers with, the reply model describing each.
    media_types: tuple[str, ...] = ("application/json",)

    @property
    def path_template(self) -> str:
        """The rule as OpenAPI writes it: ``/assets/{asset_id}``."""
        return _VARIABLE.sub(r"{\1}", self.rule)

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(_VARIABLE.findall(self.rule))

    @property
    def reply_description(self) -> str:
        return HTTPStatus(self.status).phrase


class RouteOptions(TypedDict, total=False):
    status: int
    access: Access
    path: type[PathRef]
    query: type[BaseModel]
    body: type[BaseModel]
    errors: Mapping[int, str]
    description: str
    media_types: tuple[str, ...]


class Registry:
    def __init__(self, blueprint: Blueprint) -> None:
        self.blueprint = blueprint
        self._operations: list[Operation] = []

    @property
    def operations(self) -> tuple[Operation, ...]:
        return tuple(self._operations)

    def get(self, rule: str, *, summary: str, reply: Any,
            **options: Unpack[RouteOptions]) -> Callable[[View], View]:
        return self.route("get", rule, summary=summary, reply=reply, **options)

    def post(self, rule: str, *, summary: str, reply: Any,
             **options: Unpack[RouteOptions]) -> Callable[[View], View]:
        return self.route("post", rule, summary=summary, reply=reply, **options)

    def route(self, method: str, rule: str, *, summary: str, reply: Any,
              **options: Unpack[RouteOptions]) -> Callable[[View], View]:
        def register(view: View) -> View:
            op = Operation(method=method, rule=rule, endpoint=view.__name__, summary=summary,
                           reply=reply, **options)
            declared = tuple(op.path.model_fields) if op.path else ()
            if sorted(declared) != sorted(op.variables):
                raise TypeError(f"{rule}: path model fields {declared} are not the rule's "
                                f"variables {op.variables}")
            self.blueprint.add_url_rule(rule, op.endpoint, _handler(op, view),
                                        methods=[method.upper()])
            self._operations.append(op)
            return view

        return register


def _handler(op: Operation, view: Callable[..., ResponseReturnValue]
             ) -> Callable[..., ResponseReturnValue]:
    @functools.wraps(view)
    def handle(**variables: Any) -> ResponseReturnValue:
        require(op.access)
        arguments: dict[str, Any] = {}
        if op.path is not None:
            try:
                arguments.update(op.path.model_validate(variables).model_dump())
            except ValidationError:
                raise not_found(op.path.noun) from None
        if op.query is not None:
            arguments["query"] = parse_query(op.query)
        if op.body is not None:
            arguments["body"] = parse_body(op.body)
        return view(**arguments)

    return handle


Model = TypeVar("Model", bound=BaseModel)


def parse_query(model: type[Model]) -> Model:
    # An empty value is an absent one, as a form's empty field is.
    values = {key: value for key, value in request.args.items() if value != ""}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def parse_body(model: type[Model]) -> Model:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc) from None
