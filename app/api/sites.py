from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import or_, select

from app.api import bp
from app.api.common import (
    enum_list_arg,
    int_arg,
    not_found,
    page_args,
    paginated,
    require_reader,
    str_arg,
)
from app.auth.permissions import can_see_personal_data
from app.extensions import db_session
from app.models import SITE_KINDS, Site


def site_body(site: Site) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": site.id, "external_id": site.external_id, "name": site.name,
        "name_en": site.name_en, "kind": site.kind, "address": site.address,
        "lat": site.lat, "lon": site.lon, "opening_hours": site.opening_hours,
        "team_id": site.team_id, "organisation_id": site.organisation_id,
        "is_fictional": site.is_fictional,
    }
    if can_see_personal_data(current_user):
        body.update(contact_name=site.contact_name, contact_phone=site.contact_phone)
    return body


@bp.get("/sites")
def list_sites() -> ResponseReturnValue:
    require_reader()
    page = page_args()
    query = select(Site).order_by(Site.id)
    kinds = enum_list_arg("kind", SITE_KINDS)
    if kinds:
        query = query.where(Site.kind.in_(kinds))
    team_id = int_arg("team_id")
    if team_id is not None:
        query = query.where(Site.team_id == team_id)
    text = str_arg("q")
    if text:
        like = f"%{text}%"
        query = query.where(or_(Site.name.ilike(like), Site.name_en.ilike(like),
                                Site.external_id.ilike(like)))
    return paginated(db_session(), query, page, site_body)


@bp.get("/sites/<int:site_id>")
def get_site(site_id: int) -> ResponseReturnValue:
    require_reader()
    site = db_session().get(Site, site_id)
    if site is None:
        raise not_found("site")
    return jsonify(site_body(site))
