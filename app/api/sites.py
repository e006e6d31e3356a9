from __future__ import annotations

from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import or_, select

from app.api.access import Access
from app.api.assets import hours_check
from app.api.blueprint import api
from app.api.listing import page_of, where_given
from app.api.problems import not_found
from app.api.registry_writes import WRITE_ERRORS, answer, committed, found
from app.api.replies import json_reply
from app.api.schemas.registry import given
from app.api.schemas.sites import (
    CONTACT_FIELDS,
    NewSite,
    Site,
    SiteChanges,
    SitePage,
    SiteQuery,
    SiteRef,
)
from app.auth.permissions import can_see_personal_data
from app.extensions import db_session, get_aed_context
from app.models import Site as SiteRow
from app.models import utcnow
from app.registry.operations import create_site, edit_site


def site_body(site: SiteRow) -> Site:
    return Site(
        id=site.id, external_id=site.external_id, name=site.name, name_en=site.name_en,
        kind=site.kind, address=site.address, lat=site.lat, lon=site.lon,
        opening_hours=site.opening_hours, team_id=site.team_id,
        organisation_id=site.organisation_id, is_fictional=site.is_fictional,
        contact_name=site.contact_name, contact_phone=site.contact_phone,
        opening_hours_check=hours_check(site.opening_hours), retired_at=site.retired_at,
        retired_reason=site.retired_reason,
    )


def _hidden() -> frozenset[str]:
    return frozenset() if can_see_personal_data(current_user) else CONTACT_FIELDS


@api.get("/sites", summary="List sites", query=SiteQuery, reply=SitePage)
def list_sites(query: SiteQuery) -> ResponseReturnValue:
    rows = select(SiteRow).order_by(SiteRow.id)
    rows = where_given(rows, [(SiteRow.kind, query.kind), (SiteRow.team_id, query.team_id)])
    if not query.include_retired:
        rows = rows.where(SiteRow.retired_at.is_(None))
    if query.q:
        like = f"%{query.q}%"
        rows = rows.where(or_(SiteRow.name.ilike(like), SiteRow.name_en.ilike(like),
                              SiteRow.external_id.ilike(like)))
    page = page_of(SitePage, db_session(), rows, query, site_body)
    hidden = _hidden()
    return json_reply(page, exclude={"items": {"__all__": hidden}} if hidden else None)


@api.get("/sites/<int:site_id>", summary="One site", path=SiteRef, reply=Site,
         errors={404: "No such site"})
def get_site(site_id: int) -> ResponseReturnValue:
    site = db_session().get(SiteRow, site_id)
    if site is None:
        raise not_found("site")
    return json_reply(site_body(site), exclude=_hidden() or None)


# --- registry editing: coordinators and admins, through the one validator -------------

@api.post("/sites", summary="Add a site", body=NewSite, reply=Site, status=201,
          access=Access.COORDINATOR, errors=WRITE_ERRORS,
          description="Answers with the new site as GET /sites/{site_id} does.")
def add_site(body: NewSite) -> ResponseReturnValue:
    site = committed(lambda: create_site(db_session(), given(body)), "site").row
    return answer(site_body(site), f"/api/v1/sites/{site.id}")


@api.route("patch", "/sites/<int:site_id>", summary="Change a site", path=SiteRef,
           body=SiteChanges, reply=Site, access=Access.COORDINATOR,
           errors={409: "The site is retired", **WRITE_ERRORS},
           description="Only the members sent change.")
def change_site(site_id: int, body: SiteChanges) -> ResponseReturnValue:
    site = found(db_session().get(SiteRow, site_id), "site")
    committed(lambda: edit_site(db_session(), site, given(body), utcnow(),
                                get_aed_context()), "site")
    return answer(site_body(site))
