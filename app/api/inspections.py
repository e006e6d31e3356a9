from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.aeds.inspections import CHECK_ITEMS, Checklist, record_inspection
from app.api import bp
from app.api.common import (
    bad_request,
    body_id,
    enum_list_arg,
    forbidden,
    int_arg,
    iso,
    json_body,
    not_found,
    page_args,
    paginated,
    require_reader,
    require_writer,
)
from app.auth.permissions import can_act_on_asset
from app.extensions import db_session, get_settings
from app.models import Asset, Inspection, utcnow


def inspection_body(ins: Inspection) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": ins.id, "asset_id": ins.asset_id, "site_id": ins.site_id,
        "user_id": ins.user_id, "performed_at": iso(ins.performed_at), "result": ins.result,
        "notes": ins.notes, "has_photo": ins.photo_path is not None,
    }
    body.update({k: getattr(ins, k) for k in CHECK_ITEMS})
    return body


@bp.get("/inspections")
def list_inspections() -> ResponseReturnValue:
    require_reader()
    page = page_args()
    query = select(Inspection).order_by(Inspection.performed_at.desc(), Inspection.id.desc())
    for name, column in (("asset_id", Inspection.asset_id), ("site_id", Inspection.site_id)):
        value = int_arg(name)
        if value is not None:
            query = query.where(column == value)
    results = enum_list_arg("result", ("pass", "fail"))
    if results:
        query = query.where(Inspection.result.in_(results))
    return paginated(db_session(), query, page, inspection_body)


@bp.post("/inspections")
def create_inspection() -> ResponseReturnValue:
    user = require_writer()
    body = json_body()
    asset_id = body_id(body, "asset_id")
    checks: dict[str, bool | None] = {}
    for key in CHECK_ITEMS:
        value = body.get(key)
        if value is not None and not isinstance(value, bool):
            raise bad_request(f"'{key}' must be true, false or null.")
        checks[key] = value
    notes = body.get("notes")
    if notes is not None and (not isinstance(notes, str) or len(notes) > 2000):
        raise bad_request("'notes' must be text up to 2000 characters.")
    dbs = db_session()
    asset = dbs.get(Asset, asset_id)
    if asset is None:
        raise not_found("asset")
    if not can_act_on_asset(user, asset):
        raise forbidden("This asset belongs to another team's site.")
    settings = get_settings()
    inspection = record_inspection(dbs, asset, Checklist(**checks), user.id, utcnow(),
                                   settings.readiness, settings.tz, notes=notes)
    dbs.commit()
    return jsonify(inspection_body(inspection)), 201
