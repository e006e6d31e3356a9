from __future__ import annotations

from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.aeds.inspections import CHECK_ITEMS, Checklist, record_inspection
from app.api.access import Access, caller
from app.api.blueprint import api
from app.api.listing import page_of, where_given
from app.api.problems import forbidden, not_found
from app.api.replies import json_reply
from app.api.schemas.inspections import (
    Inspection,
    InspectionFields,
    InspectionPage,
    InspectionQuery,
    NewInspection,
    NewInspectionFields,
)
from app.auth.permissions import can_act_on_asset
from app.extensions import db_session, get_aed_context
from app.models import Asset, utcnow
from app.models import Inspection as InspectionRow


def inspection_body(ins: InspectionRow) -> InspectionFields:
    return Inspection.model_validate({
        "id": ins.id, "asset_id": ins.asset_id, "site_id": ins.site_id,
        "user_id": ins.user_id, "performed_at": ins.performed_at, "result": ins.result,
        "notes": ins.notes, "has_photo": ins.photo_path is not None,
        **{k: getattr(ins, k) for k in CHECK_ITEMS},
    })


@api.get("/inspections", summary="List inspections, newest first", query=InspectionQuery,
         reply=InspectionPage)
def list_inspections(query: InspectionQuery) -> ResponseReturnValue:
    rows = select(InspectionRow).order_by(InspectionRow.performed_at.desc(),
                                          InspectionRow.id.desc())
    rows = where_given(rows, [
        (InspectionRow.asset_id, query.asset_id), (InspectionRow.site_id, query.site_id),
        (InspectionRow.result, query.result)])
    return json_reply(page_of(InspectionPage, db_session(), rows, query, inspection_body))


@api.post("/inspections", summary="Record a monthly check", body=NewInspection,
          reply=Inspection, status=201, access=Access.WRITER,
          errors={403: "Another team's asset, or a read-only account", 404: "No such asset"},
          description="Updates the asset's last check and readiness.")
def create_inspection(body: NewInspectionFields) -> ResponseReturnValue:
    user = caller()
    dbs = db_session()
    asset = dbs.get(Asset, body.asset_id)
    if asset is None:
        raise not_found("asset")
    if not can_act_on_asset(user, asset):
        raise forbidden("This asset belongs to another team's site.")
    checks = Checklist(**{k: getattr(body, k) for k in CHECK_ITEMS})
    inspection = record_inspection(dbs, asset, checks, user.id, utcnow(), get_aed_context(),
                                   notes=body.notes)
    dbs.commit()
    return json_reply(inspection_body(inspection), 201)
