"""The OpenAPI document is generated from the route registry and the pydantic models:
every route is in it with its parameters and schemas, a changed model changes it, and
the bodies anonymous and signed-in callers get conform to what it says of them."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Blueprint, Flask, jsonify
from flask.testing import FlaskClient
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.api.access import Access
from app.api.blueprint import api
from app.api.document import build_document
from app.api.problems import init_problems
from app.api.registry import Registry
from app.models import Asset, Site
from tests.api.test_api import token_for

JSON = "application/json"
SIGNED_IN_ONLY = "Signed-in callers only."
PERSONAL_ONLY = "Coordinators and admins only."


def _ref_name(schema: dict[str, Any]) -> str:
    return str(schema["$ref"]).rsplit("/", 1)[1]


def _component(doc: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = doc["components"]["schemas"][name]
    return schema


def test_every_route_is_documented_from_its_models(app: Flask, client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    rules = {(r.rule.removeprefix("/api/v1"), m.lower())
             for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")
             for m in r.methods or () if m not in {"HEAD", "OPTIONS"}}
    documented = {(op.rule, op.method) for op in api.operations}
    # Only the document itself and its page are routes outside the registry.
    assert rules - documented == {("/openapi.json", "get"), ("/docs", "get")}
    assert len(api.operations) == sum(len(item) for item in doc["paths"].values()) >= 17
    for op in api.operations:
        entry = doc["paths"][op.path_template][op.method]
        fields = [*(op.path.model_fields if op.path else ()),
                  *(op.query.model_fields if op.query else ())]
        assert [p["name"] for p in entry["parameters"]] == fields, op.rule
        assert all(p["required"] for p in entry["parameters"] if p["in"] == "path")
        content = entry["responses"][str(op.status)]["content"]
        assert tuple(content) == op.media_types, op.rule
        reply = content[op.media_types[0]]["schema"]
        assert _ref_name(reply) == op.reply.__name__
        if op.body is not None:
            body = entry["requestBody"]["content"][JSON]["schema"]
            assert _ref_name(body) == op.body.__name__
        expected_errors = {"405", "500"} | ({"401"} if op.access is not Access.PUBLIC else set())
        assert expected_errors <= set(entry["responses"]), op.rule
        assert ("security" in entry) == (op.access is Access.PUBLIC)
    nearest = {p["name"]: p for p in doc["paths"]["/nearest"]["get"]["parameters"]}
    assert nearest["lat"]["required"] and not nearest["n"]["required"]
    assert nearest["lat"]["schema"] == {"type": "number", "minimum": -90, "maximum": 90}


class _Item(BaseModel):
    id: int


class _ItemQuery(BaseModel):
    size: int = Field(10, ge=1, le=20)


class _ItemV2(_Item):
    colour: str


class _ItemQueryV2(_ItemQuery):
    colour: str | None = None


def _document_for(item: type[BaseModel], query: type[BaseModel]) -> tuple[dict[str, Any], Flask]:
    bp = Blueprint("t", __name__, url_prefix="/api/t")  # /api/: problem details
    registry = Registry(bp)

    @registry.get("/items", summary="Items", query=query, reply=item, access=Access.PUBLIC)
    def items(query: _ItemQuery) -> ResponseReturnValue:
        return jsonify({"id": query.size})

    app = Flask(__name__)
    init_problems(app)
    app.register_blueprint(bp)
    return build_document(registry), app


def test_a_routes_schema_follows_its_model() -> None:
    before, app = _document_for(_Item, _ItemQuery)
    after, _ = _document_for(_ItemV2, _ItemQueryV2)
    op_before, op_after = before["paths"]["/items"]["get"], after["paths"]["/items"]["get"]
    assert [p["name"] for p in op_before["parameters"]] == ["size"]
    assert [p["name"] for p in op_after["parameters"]] == ["size", "colour"]
    assert _component(before, "_Item")["required"] == ["id"]
    assert _component(after, "_ItemV2")["required"] == ["id", "colour"]
    assert before["servers"] == [{"url": "/api/t"}]
    # The same models validate the request.
    client = app.test_client()
    assert client.get("/api/t/items?size=7").get_json() == {"id": 7}
    bad = client.get("/api/t/items?size=99")
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["invalid-params"] == [{"name": "size", "reason": "must be at most 20"}]


def test_bad_input_is_problem_details_naming_each_parameter(app: Flask,
                                                             client: FlaskClient) -> None:
    resp = client.get("/api/v1/assets?limit=0&kind=boat&bbox=1,2")
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["type"].endswith("invalid-parameter") and body["detail"] == (
        "'limit' must be at least 1.")
    assert [p["name"] for p in body["invalid-params"]] == ["limit", "kind", "bbox"]
    missing = client.get("/api/v1/map-features?kind=aed").get_json()
    assert missing["detail"] == "'bbox' is required."


def test_json_bodies_are_read_as_the_document_says(seeded: Flask, client: FlaskClient,
                                                   db: Session) -> None:
    asset = db.scalars(select(Asset).order_by(Asset.id)).first()
    assert asset is not None
    headers = token_for(db, "coordinator")

    def post(body: object) -> Any:
        return client.post("/api/v1/inspections", json=body, headers=headers)

    assert post({"asset_id": float(asset.id), "pads_ok": True}).status_code == 201
    for bad in ({"asset_id": str(asset.id)}, {"asset_id": True}, {"asset_id": -1},
                {"asset_id": asset.id, "pads_ok": "yes"}, {"asset_id": asset.id, "notes": 3},
                {}, [asset.id]):
        resp = post(bad)
        assert resp.status_code == 400 and resp.mimetype == "application/problem+json", bad
    lot = {"site_id": asset.site_id, "item": "gloves", "quantity": 2}
    assert client.post("/api/v1/stock", json={**lot, "expiry": 20280630},
                       headers=headers).status_code == 400
    no_body = client.post("/api/v1/inspections", data="x", headers=headers)
    assert no_body.get_json()["detail"] == "The request body must be a JSON object."


def _schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_asset_bodies_per_audience_are_what_the_document_says(
        seeded: Flask, client: FlaskClient, db: Session, signed_in: bool) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    schema = _schema(seeded)
    headers = token_for(db, "viewer") if signed_in else {}
    asset = db.scalars(select(Asset).where(Asset.public.is_(True)).order_by(Asset.id)).first()
    assert asset is not None
    for path, template, component in (
            (f"/api/v1/assets/{asset.id}", "/assets/{asset_id}", "Asset"),
            ("/api/v1/assets?limit=3", "/assets", "AssetSummary")):
        resp = client.get(path, headers=headers)
        schema[template]["GET"].validate_response(resp)
        body = resp.get_json()
        item = body if template != "/assets" else body["items"][0]
        properties = _component(doc, component)["properties"]
        internal = {n for n, p in properties.items() if p.get("description") == SIGNED_IN_ONLY}
        assert internal >= {"status_reasons"}
        # A viewer is signed in but sees no personal data (the AED's guardian).
        personal = {n for n, p in properties.items() if p.get("description") == PERSONAL_ONLY}
        assert set(item) == (set(properties) - personal if signed_in
                             else set(properties) - internal - personal)


def test_site_contacts_only_for_those_who_may_see_them(seeded: Flask, client: FlaskClient,
                                                       db: Session) -> None:
    site = db.scalars(select(Site).order_by(Site.id)).first()
    assert site is not None
    schema = _schema(seeded)
    for user, sees in (("viewer", False), ("coordinator", True)):
        resp = client.get(f"/api/v1/sites/{site.id}", headers=token_for(db, user))
        schema["/sites/{site_id}"]["GET"].validate_response(resp)
        assert ("contact_phone" in resp.get_json()) is sees, user
