"""The OpenAPI 3.1 document of /api/v1 (hand-written) and a local HTML docs page."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, render_template
from flask.typing import ResponseReturnValue

from app.aeds.inspections import CHECK_ITEMS
from app.alerts.lifecycle import ALERT_KINDS
from app.api import bp
from app.models import ASSET_KINDS, READINESS_STATUSES, SITE_KINDS
from app.models.alert import ALERT_STATUSES, SEVERITIES

JSON = "application/json"
PROBLEM = "application/problem+json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _ref("Problem")}}}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _page_of(name: str) -> dict[str, Any]:
    return {
        "type": "object", "required": ["items", "total", "limit", "offset"],
        "properties": {
            "items": {"type": "array", "items": _ref(name)},
            "total": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer"}, "offset": {"type": "integer"},
        },
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


def _path_int(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}}


def _csv_enum(values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    alternatives = "|".join(values)
    return {"type": "string", "pattern": f"^({alternatives})(,({alternatives}))*$"}


_NUM = r"-?[0-9]{1,3}(\.[0-9]{1,8})?"
BBOX_PATTERN = f"^{_NUM}(,{_NUM}){{3}}$"
PAGE_PARAMS = [
    _query("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "Page size."),
    _query("offset", {"type": "integer", "minimum": 0, "maximum": 10_000_000}, "Rows to skip."),
]
ID_FILTER = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}
READ_ERRORS = {"400": _problem("Bad parameter"), "401": _problem("Not logged in / no token")}


def _list_op(summary: str, item: str, params: list[dict[str, Any]], public: bool = False,
             max_limit: int = 500) -> dict[str, Any]:
    page = [dict(p) for p in PAGE_PARAMS]
    page[0] = _query("limit", {"type": "integer", "minimum": 1, "maximum": max_limit},
                     "Page size.")
    op: dict[str, Any] = {
        "summary": summary, "parameters": page + params,
        "responses": {"200": _ok(_page_of(item)), **READ_ERRORS},
    }
    if public:
        op["security"] = [{}, {"bearer": []}]
    return op


def _get_op(summary: str, item: str, param: dict[str, Any], public: bool = False) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary, "parameters": [param],
        "responses": {"200": _ok(_ref(item)), "401": _problem("No token"),
                      "404": _problem("Not found")},
    }
    if public:
        op["security"] = [{}, {"bearer": []}]
    return op


def _write_op(summary: str, body: dict[str, Any] | None, result: str, status: str,
              params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": params or [],
        "responses": {
            status: _ok(_ref(result), "Done"),
            "400": _problem("Invalid body"), "401": _problem("No token"),
            "403": _problem("Another team's object, or a read-only account"),
            "404": _problem("Not found"), "409": _problem("Not possible in the current state"),
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    return op


SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object", "required": ["type", "title", "status"],
        "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                       "status": {"type": "integer"}, "detail": {"type": "string"},
                       "instance": {"type": "string"}},
    },
    "Asset": {
        "type": "object",
        "required": ["id", "external_id", "kind", "name", "lat", "lon", "status", "site"],
        "properties": {
            "id": {"type": "integer"}, "external_id": {"type": "string"},
            "kind": {"enum": list(ASSET_KINDS)}, "name": {"type": "string"},
            "name_en": _nullable("string"),
            "site": {"type": "object", "required": ["id", "name"],
                     "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                    "name_en": _nullable("string")}},
            "lat": {"type": "number"}, "lon": {"type": "number"},
            "status": {"enum": list(READINESS_STATUSES)},
            "status_reasons": {"type": "array", "items": {"type": "string"}},
            "pad_expiry": _nullable("string", format="date"),
            "battery_expiry": _nullable("string", format="date"),
            "last_inspection_at": _nullable("string", format="date-time"),
            "access_hours": _nullable("string"), "monitored": {"type": "boolean"},
            "manufacturer": _nullable("string"), "model": _nullable("string"),
            "serial": _nullable("string"), "cabinet": _nullable("string"),
            "indoor": {"type": "boolean"}, "public": {"type": "boolean"},
            "maintenance_until": _nullable("string", format="date-time"),
            "in_use_since": _nullable("string", format="date-time"),
            "status_changed_at": _nullable("string", format="date-time"),
        },
    },
    "Site": {
        "type": "object", "required": ["id", "external_id", "name", "kind", "lat", "lon"],
        "properties": {
            "id": {"type": "integer"}, "external_id": {"type": "string"},
            "name": {"type": "string"}, "name_en": _nullable("string"),
            "kind": {"type": "string"}, "address": _nullable("string"),
            "lat": {"type": "number"}, "lon": {"type": "number"},
            "opening_hours": _nullable("string"), "team_id": _nullable("integer"),
            "organisation_id": _nullable("integer"), "contact_name": _nullable("string"),
            "contact_phone": _nullable("string"), "is_fictional": {"type": "boolean"},
        },
    },
    "Gateway": {
        "type": "object", "required": ["id", "state", "desired_config_version"],
        "properties": {
            "id": {"type": "string"}, "site_id": _nullable("integer"),
            "name": _nullable("string"), "state": {"type": "string"},
            "state_ts": _nullable("string", format="date-time"),
            "last_seen_at": _nullable("string", format="date-time"),
            "agent_version": _nullable("string"), "outbox_depth": _nullable("integer"),
            "report_interval_s": {"type": "integer"}, "revoked": {"type": "boolean"},
            "desired_config_version": {"type": "integer"},
            "reported_config_version": _nullable("integer"),
        },
    },
    "Alert": {
        "type": "object", "required": ["id", "kind", "severity", "status", "opened_at"],
        "properties": {
            "id": {"type": "integer"}, "kind": {"type": "string"},
            "severity": {"enum": list(SEVERITIES)}, "status": {"enum": list(ALERT_STATUSES)},
            "subject_type": {"type": "string"}, "subject_id": {"type": "string"},
            "asset_id": _nullable("integer"), "site_id": _nullable("integer"),
            "gateway_id": _nullable("string"), "message": _nullable("string"),
            "opened_at": {"type": "string", "format": "date-time"},
            "acknowledged_at": _nullable("string", format="date-time"),
            "acknowledged_by": _nullable("integer"),
            "resolved_at": _nullable("string", format="date-time"),
            "resolved_by": _nullable("integer"), "resolution": _nullable("string"),
            "comments": {"type": "array", "items": {
                "type": "object", "required": ["body", "created_at"],
                "properties": {"user_id": _nullable("integer"), "body": {"type": "string"},
                               "created_at": {"type": "string", "format": "date-time"}}}},
        },
    },
    "Inspection": {
        "type": "object", "required": ["id", "performed_at", "result"],
        "properties": {
            "id": {"type": "integer"}, "asset_id": _nullable("integer"),
            "site_id": _nullable("integer"), "user_id": _nullable("integer"),
            "performed_at": {"type": "string", "format": "date-time"},
            "result": {"enum": ["pass", "fail"]}, "notes": _nullable("string"),
            "has_photo": {"type": "boolean"},
            **{k: _nullable("boolean") for k in CHECK_ITEMS},
        },
    },
    "StockLot": {
        "type": "object", "required": ["id", "site_id", "item", "quantity"],
        "properties": {
            "id": {"type": "integer"}, "site_id": {"type": "integer"},
            "item": {"type": "object", "required": ["id", "code", "name", "unit"],
                     "properties": {"id": {"type": "integer"}, "code": {"type": "string"},
                                    "name": {"type": "string"}, "name_en": _nullable("string"),
                                    "unit": {"type": "string"}}},
            "quantity": {"type": "integer"}, "expiry": _nullable("string", format="date"),
            "lot_code": _nullable("string"),
            "received_at": {"type": "string", "format": "date-time"},
        },
    },
}

NEW_INSPECTION = {
    "type": "object", "required": ["asset_id"],
    "properties": {"asset_id": ID_FILTER, "notes": _nullable("string", maxLength=2000),
                   **{k: _nullable("boolean") for k in CHECK_ITEMS}},
}
NEW_LOT = {
    "type": "object", "required": ["site_id", "item", "quantity"],
    "properties": {"site_id": ID_FILTER,
                   "item": {"type": "string", "minLength": 1, "maxLength": 64},
                   "quantity": {"type": "integer", "minimum": 1, "maximum": 100000},
                   "expiry": _nullable("string", format="date"),
                   "lot_code": _nullable("string", maxLength=64)},
}


def _admin_listing(summary: str) -> dict[str, Any]:
    page = _page_of("Problem")
    page["properties"]["items"] = {"type": "array", "items": {"type": "object"}}
    page["properties"]["counts_by_reason"] = {
        "type": "object", "additionalProperties": {"type": "integer"}}
    return {"get": {
        "summary": summary,
        "parameters": [*PAGE_PARAMS,
                       _query("gateway_id", {"type": "string", "maxLength": 100}, "Gateway."),
                       _query("reason", {"type": "string", "maxLength": 40}, "Reason code.")],
        "responses": {"200": _ok(page), **READ_ERRORS,
                      "403": _problem("Administrators only")},
    }}


# Operations other modules add to the blueprint; documented when they are present.
OPTIONAL_PATHS = {
    "/dead-letters": lambda: _admin_listing("Rejected device messages (ingest; admins)"),
    "/quarantine": lambda: _admin_listing("Messages from unregistered gateways/devices"),
    "/map-features": lambda: _map_features_path(),
}


def _map_features_path() -> dict[str, Any]:
    from app.api.map_features import openapi_path

    return openapi_path()


def build_document(include_nearest: bool,
                   optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    alert_id = _path_int("alert_id")
    paths: dict[str, Any] = {
        "/assets": {"get": _list_op("List AEDs and kits", "Asset", [
            _query("kind", _csv_enum(ASSET_KINDS), "Comma-separated kinds."),
            _query("status", _csv_enum(READINESS_STATUSES), "Comma-separated statuses."),
            _query("site_id", ID_FILTER, "Only this site."),
            _query("team_id", ID_FILTER, "Only sites of this team."),
            _query("monitored", {"enum": ["true", "false"]}, "Has a gateway device."),
            _query("q", {"type": "string", "maxLength": 100}, "Text in name or id."),
            _query("bbox", {"type": "string", "pattern": BBOX_PATTERN},
                   "minLon,minLat,maxLon,maxLat (WGS-84)."),
        ], public=True, max_limit=5000)},
        "/assets/{asset_id}": {"get": _get_op("One asset", "Asset", _path_int("asset_id"),
                                              public=True)},
        "/sites": {"get": _list_op("List sites", "Site", [
            _query("kind", _csv_enum(SITE_KINDS), "Comma-separated kinds."),
            _query("team_id", ID_FILTER, "Only this team."),
            _query("q", {"type": "string", "maxLength": 100}, "Text in name or id."),
        ])},
        "/sites/{site_id}": {"get": _get_op("One site", "Site", _path_int("site_id"))},
        "/gateways": {"get": _list_op("List gateways", "Gateway", [
            _query("state", _csv_enum(["online", "offline", "stopped", "unknown"]), "States."),
            _query("site_id", ID_FILTER, "Only this site."),
        ])},
        "/gateways/{gateway_id}": {"get": _get_op("One gateway", "Gateway", {
            "name": "gateway_id", "in": "path", "required": True,
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}})},
        "/alerts": {"get": _list_op("List alerts, newest first", "Alert", [
            _query("status", _csv_enum(ALERT_STATUSES), "Statuses."),
            _query("severity", _csv_enum(SEVERITIES), "Severities."),
            _query("kind", _csv_enum(list(ALERT_KINDS)), "Kinds."),
            _query("asset_id", ID_FILTER, "Only this asset."),
            _query("site_id", ID_FILTER, "Only this site."),
        ])},
        "/alerts/{alert_id}": {"get": _get_op("One alert", "Alert", alert_id)},
        "/alerts/{alert_id}/acknowledge": {"post": _write_op(
            "Acknowledge an open alert", None, "Alert", "200", [alert_id])},
        "/alerts/{alert_id}/resolve": {"post": _write_op(
            "Resolve an alert (not use incidents)", {
                "type": "object", "required": ["resolution"],
                "properties": {"resolution": {"type": "string", "minLength": 1,
                                              "maxLength": 200}}},
            "Alert", "200", [alert_id])},
        "/alerts/{alert_id}/comments": {"post": _write_op(
            "Comment on an alert", {
                "type": "object", "required": ["body"],
                "properties": {"body": {"type": "string", "minLength": 1, "maxLength": 2000}}},
            "Alert", "201", [alert_id])},
        "/inspections": {
            "get": _list_op("List inspections, newest first", "Inspection", [
                _query("asset_id", ID_FILTER, "Only this asset."),
                _query("site_id", ID_FILTER, "Only this site."),
                _query("result", _csv_enum(["pass", "fail"]), "Results."),
            ]),
            "post": _write_op("Record a monthly check", NEW_INSPECTION, "Inspection", "201"),
        },
        "/stock": {
            "get": _list_op("List stock lots", "StockLot", [
                _query("site_id", ID_FILTER, "Only this site."),
                _query("item", {"type": "string", "maxLength": 64}, "Supply item code."),
                _query("expiring_before", {"type": "string", "format": "date"},
                       "Lots expiring before this date."),
            ]),
            "post": _write_op("Record a delivery (restock)", NEW_LOT, "StockLot", "201"),
        },
    }
    if include_nearest:
        from app.api.nearest import openapi_path as nearest_path

        paths["/nearest"] = nearest_path()
    for path in sorted(optional & set(OPTIONAL_PATHS)):
        paths[path] = OPTIONAL_PATHS[path]()
    for item in paths.values():
        for op in item.values():
            op["responses"].setdefault("500", _problem("Server error"))
            op["responses"].setdefault("405", _problem("Method not allowed"))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Yangpu Red Cross AED tracker API", "version": "1.0.0",
                 "description": "AEDs, first-aid stations, gateways, alerts, checks and "
                                "stock. Errors are RFC 9457 problem details."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "Token from `flask --app app user token NAME`."}},
        },
    }


def _has_nearest() -> bool:
    return any(rule.rule == "/api/v1/nearest" for rule in current_app.url_map.iter_rules())


def _present_optional() -> frozenset[str]:
    rules = {rule.rule for rule in current_app.url_map.iter_rules()}
    return frozenset(p for p in OPTIONAL_PATHS if f"/api/v1{p}" in rules)


@bp.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    return jsonify(build_document(_has_nearest(), _present_optional()))


@bp.get("/docs")
def api_docs() -> ResponseReturnValue:
    document = build_document(_has_nearest(), _present_optional())
    operations = [
        (method.upper(), path, op)
        for path, item in document["paths"].items() for method, op in item.items()
    ]
    return render_template("api_docs.html", operations=operations, document=document)
