"""The OpenAPI 3.1 document of /api/v1, generated from the route registry.

Schemas come from the operations' pydantic models (pydantic's own JSON Schema: OpenAPI
3.1 is JSON Schema 2020-12), parameters from their path and query models, the error
answers from their access level and declared errors. Nothing here names a route.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, Final

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode
from pydantic_core import CoreSchema

from app.api.access import Access
from app.api.problems import MEDIA_TYPE as PROBLEM
from app.api.registry import Operation, Registry
from app.api.schemas.problem import Problem

JSON = "application/json"
_REF = "#/components/schemas/{model}"
_FORMAT: Final = "primitive_type_array"  # ["string", "null"] rather than anyOf where it can
_PROBLEM_KEY = ("problem",)
INFO = {
    "title": "Yangpu Red Cross AED tracker API",
    "version": "1.0.0",
    "description": "AEDs, first-aid stations, gateways, alerts, checks and stock. "
                   "Errors are RFC 9457 problem details.",
}
_BEARER = {"type": "http", "scheme": "bearer",
           "description": "Token from `flask --app app user token NAME`."}
_ACCESS_ERRORS: dict[Access, dict[int, str]] = {
    Access.PUBLIC: {},
    Access.READER: {401: "Not logged in / no token"},
    Access.WRITER: {401: "No token", 403: "A read-only account"},
    Access.COORDINATOR: {401: "No token", 403: "Coordinators and administrators only"},
    Access.ADMIN: {401: "Not logged in / no token", 403: "Administrators only"},
}
_ALWAYS = {405: "Method not allowed", 500: "Server error"}


class _Schemas(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: CoreSchema) -> bool:
        return False  # "Asset Id" beside asset_id says nothing


def _adapters(operations: Iterable[Operation]
              ) -> list[tuple[Hashable, JsonSchemaMode, TypeAdapter[Any]]]:
    inputs: list[tuple[Hashable, JsonSchemaMode, TypeAdapter[Any]]] = [
        (_PROBLEM_KEY, "serialization", TypeAdapter(Problem))]
    for op in operations:
        inputs.append(((op.endpoint, "reply"), "serialization", TypeAdapter(op.reply)))
        if op.body is not None:
            inputs.append(((op.endpoint, "body"), "validation", TypeAdapter(op.body)))
    return inputs


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without the ``None`` of its optional field: a query string
    can leave a parameter out but not send a null."""
    out = dict(schema)
    if isinstance(out.get("type"), list):
        kinds = [k for k in out["type"] if k != "null"]
        out["type"] = kinds[0] if len(kinds) == 1 else kinds
    if "anyOf" in out:
        branches = [b for b in out["anyOf"] if b != {"type": "null"}]
        if len(branches) == 1:
            del out["anyOf"]
            out = {**branches[0], **out}
        else:
            out["anyOf"] = branches
    if "default" in out and out["default"] is None:
        del out["default"]
    return out


def _parameters(op: Operation, components: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for place, model in (("path", op.path), ("query", op.query)):
        if model is None:
            continue
        schema = TypeAdapter(model).json_schema(mode="validation", ref_template=_REF,
                                                union_format=_FORMAT, schema_generator=_Schemas)
        components.update(schema.get("$defs", {}))
        required = set(schema.get("required", ()))
        for name, prop in schema["properties"].items():
            prop = _without_null(prop)
            param = {"name": name, "in": place, "required": place == "path" or name in required,
                     "schema": prop}
            if "description" in prop:
                param["description"] = prop.pop("description")
            params.append(param)
    return params


def _problem(description: str, problem_ref: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": problem_ref}}}


def _errors(op: Operation) -> dict[int, str]:
    errors = dict(_ACCESS_ERRORS[op.access])
    if op.query is not None or op.body is not None:
        errors[400] = "Invalid parameter or body" if op.query and op.body else (
            "Invalid parameter" if op.query else "Invalid body")
    if op.path is not None:
        errors[404] = f"No such {op.path.noun}"
    return {**errors, **op.errors, **_ALWAYS}


def _operation(op: Operation, schemas: dict[Any, Any], components: dict[str, Any]
               ) -> dict[str, Any]:
    problem_ref = schemas[(_PROBLEM_KEY, "serialization")]
    out: dict[str, Any] = {"operationId": op.endpoint, "summary": op.summary}
    if op.description:
        out["description"] = op.description
    if op.access is Access.PUBLIC:
        out["security"] = [{}, {"bearer": []}]
    out["parameters"] = _parameters(op, components)
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {
            JSON: {"schema": schemas[((op.endpoint, "body"), "validation")]}}}
    reply = schemas[((op.endpoint, "reply"), "serialization")]
    responses: dict[str, Any] = {str(op.status): {
        "description": op.reply_description,
        "content": {media: {"schema": reply} for media in op.media_types}}}
    for status, description in sorted(_errors(op).items()):
        responses[str(status)] = _problem(description, problem_ref)
    out["responses"] = responses
    return out


def build_document(registry: Registry) -> dict[str, Any]:
    operations = sorted(registry.operations, key=lambda op: (op.path_template, op.method))
    schemas, top = TypeAdapter.json_schemas(
        _adapters(operations), ref_template=_REF, union_format=_FORMAT,
        schema_generator=_Schemas)
    components: dict[str, Any] = dict(top.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path_template, {})[op.method] = _operation(op, schemas, components)
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": registry.blueprint.url_prefix or "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items())),
                       "securitySchemes": {"bearer": _BEARER}},
    }
