"""Assets: AEDs and first-aid kits. Readable without login (people look for an AED):
anonymous callers get what app.mapping.public_policy allows."""

from __future__ import annotations

from functools import partial
from typing import Any

from flask import Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, or_, select
from zlib_ng import gzip_ng

from app.api.access import Access
from app.api.asset_index import AssetIndex, Viewport, encode_page
from app.api.blueprint import api
from app.api.listing import Rows, count, where_given
from app.api.problems import not_found
from app.api.registry_writes import WRITE_ERRORS, answer, committed, found
from app.api.response_cache import ResponseCache, VersionMemo
from app.api.schemas.assets import (
    GUARDIAN_FIELDS,
    Asset,
    AssetChanges,
    AssetPage,
    AssetQuery,
    AssetRef,
    AssetSummary,
    NewAsset,
)
from app.api.schemas.registry import HoursCheck, Retire, given
from app.auth.permissions import can_see_personal_data
from app.extensions import db_session, get_aed_context
from app.mapping.public_policy import asset_is_public, public_asset_body, public_asset_clause
from app.models import Asset as AssetRow
from app.models import Site, utcnow
from app.registry.operations import create_asset, device_ref, edit_asset, retire_asset
from maps.hours import check_hours

_cache = ResponseCache()
_LIST_COLUMNS = (
    AssetRow.id, AssetRow.external_id, AssetRow.kind, AssetRow.name, AssetRow.name_en,
    Site.id, Site.name, Site.name_en, AssetRow.lat, AssetRow.lon, AssetRow.status,
    AssetRow.status_reasons, AssetRow.pad_expiry, AssetRow.battery_expiry,
    AssetRow.last_inspection_at, AssetRow.access_hours, AssetRow.device_pk,
)
_VERSION_QUERY = select(
    func.max(AssetRow.updated_at), func.count(AssetRow.id), func.max(AssetRow.status_changed_at)
)


def _reasons(stored: str | None) -> list[str]:
    return stored.split(",") if stored else []


def _row_summary(row: Any) -> AssetSummary:
    (aid, ext, kind, name, name_en, site_id, site_name, site_name_en, lat, lon, status,
     reasons, pad, battery, inspected, hours, device_pk) = row
    return AssetSummary(
        id=aid, external_id=ext, kind=kind, name=name, name_en=name_en,
        site={"id": site_id, "name": site_name, "name_en": site_name_en},
        lat=lat, lon=lon, status=status, status_reasons=_reasons(reasons),
        pad_expiry=pad, battery_expiry=battery, last_inspection_at=inspected,
        access_hours=hours, monitored=device_pk is not None,
    )


def hours_check(value: str | None) -> HoursCheck | None:
    if not value:
        return None
    check = check_hours(value)
    return HoursCheck(valid=check.valid, reason=check.reason)


def asset_body(asset: AssetRow, site: Site) -> Asset:
    return Asset(
        id=asset.id, external_id=asset.external_id, kind=asset.kind, name=asset.name,
        name_en=asset.name_en, site={"id": site.id, "name": site.name, "name_en": site.name_en},
        lat=asset.lat, lon=asset.lon, status=asset.status,
        status_reasons=_reasons(asset.status_reasons), pad_expiry=asset.pad_expiry,
        battery_expiry=asset.battery_expiry, last_inspection_at=asset.last_inspection_at,
        access_hours=asset.access_hours, monitored=asset.device_pk is not None,
        manufacturer=asset.manufacturer, model=asset.model, serial=asset.serial,
        cabinet=asset.cabinet, cabinet_en=asset.cabinet_en, level=asset.level,
        indoor=asset.indoor, public=asset.public, install_date=asset.install_date,
        paediatric_pads=bool(asset.paediatric_pads),
        paediatric_pad_expiry=asset.paediatric_pad_expiry,
        access_hours_check=hours_check(asset.access_hours),
        guardian_name=asset.guardian_name, guardian_phone=asset.guardian_phone,
        device=device_ref(asset.device),
        photo_url=(f"/photos/{asset.photo_path}" if asset.photo_path else None),
        maintenance_until=asset.maintenance_until, in_use_since=asset.in_use_since,
        status_changed_at=asset.status_changed_at, retired_at=asset.retired_at,
        retired_reason=asset.retired_reason,
    )


def _list_query(q: AssetQuery, public: bool) -> Rows:
    query = select(*_LIST_COLUMNS).join(Site, AssetRow.site_id == Site.id).order_by(AssetRow.id)
    if public:
        query = query.where(public_asset_clause())
    elif not q.include_retired:
        query = query.where(AssetRow.retired_at.is_(None))
    query = where_given(query, [
        (AssetRow.kind, q.kind), (AssetRow.status, q.status), (AssetRow.site_id, q.site_id),
        (Site.team_id, q.team_id)])
    if q.monitored is not None:
        query = query.where(AssetRow.device_pk.is_not(None) if q.monitored
                            else AssetRow.device_pk.is_(None))
    if q.q:
        like = f"%{q.q}%"
        query = query.where(or_(AssetRow.name.ilike(like), AssetRow.name_en.ilike(like),
                                AssetRow.external_id.ilike(like)))
    if q.bbox:
        min_lon, min_lat, max_lon, max_lat = q.bbox
        query = query.where(AssetRow.lat.between(min_lat, max_lat),
                            AssetRow.lon.between(min_lon, max_lon))
    return query


def _entry(row: Any, public: bool) -> dict[str, Any]:
    item = _row_summary(row).model_dump(mode="json")
    return public_asset_body(item) if public else item


def _index_rows(public: bool) -> Any:
    """The audience's whole list for its AssetIndex: id, position, kind and status first,
    then the list columns."""
    rows = select(AssetRow.id, AssetRow.lat, AssetRow.lon, AssetRow.kind, AssetRow.status,
                  *_LIST_COLUMNS).join(Site, AssetRow.site_id == Site.id).order_by(AssetRow.id)
    return rows.where(public_asset_clause() if public else AssetRow.retired_at.is_(None))


def _index_entry(public: bool, row: Any) -> dict[str, Any]:
    return _entry(row[5:], public)


class _ListState:
    """An app's data-version memo and its two audiences' indexes, in each worker: per
    app, so two apps in one process (tests) never answer from each other's data."""

    def __init__(self) -> None:
        self.version = VersionMemo()
        self.indexes = {public: AssetIndex(partial(_index_rows, public),
                                           partial(_index_entry, public))
                        for public in (True, False)}


def _state() -> _ListState:
    state: _ListState | None = current_app.extensions.get("aed.asset_list")
    if state is None:
        state = current_app.extensions.setdefault("aed.asset_list", _ListState())
    return state


def _viewport(q: AssetQuery) -> Viewport | None:
    """The query as a viewport of the index, or None when it asks for more than a box,
    kinds and statuses (a text search, a site or team, retired assets: SQL answers)."""
    if q.bbox is None or q.q or q.site_id is not None or q.team_id is not None or (
            q.monitored is not None or q.include_retired):
        return None
    return Viewport(box=q.bbox, kinds=q.kind, statuses=q.status, limit=q.limit,
                    offset=q.offset)


def _list_body(q: AssetQuery, public: bool, version: Any) -> bytes:
    view = _viewport(q)
    if view is not None:
        return _state().indexes[public].query(db_session, version, view)
    session = db_session()
    query = _list_query(q, public)
    rows = session.execute(query.limit(q.limit).offset(q.offset)).all()
    return encode_page([_entry(r, public) for r in rows], count(session, query), q.limit,
                       q.offset)


@api.get("/assets", summary="List AEDs and kits", query=AssetQuery, reply=AssetPage,
         access=Access.PUBLIC)
def list_assets(query: AssetQuery) -> ResponseReturnValue:
    public = not current_user.is_authenticated
    # The session is opened only when the version or the index is read: a map's burst
    # of viewports is answered from memory.
    version = _state().version.get(lambda: tuple(db_session().execute(_VERSION_QUERY).one()))
    gzip_ok = "gzip" in request.headers.get("Accept-Encoding", "")
    # The audience is part of the key: a signed-in answer is never served to the public.
    key = ("pub:" if public else "int:") + ("gz:" if gzip_ok else "id:") + (
        request.query_string.decode("latin-1"))
    body = _cache.get(key, version)
    if body is None:
        body = _list_body(query, public, version)
        if gzip_ok:
            # Compressed once and cached; most viewports are new, so the compressor's
            # speed counts: zlib-ng at level 2 is as small as zlib's level 6 (within 3 %)
            # at a quarter of its time.
            body = gzip_ng.compress(body, compresslevel=2, mtime=0)
        _cache.put(key, version, body)
    response = Response(body, mimetype="application/json")
    response.headers["Vary"] = "Accept-Encoding, Cookie, Authorization"
    if gzip_ok:
        response.headers["Content-Encoding"] = "gzip"
    return response


@api.get("/assets/<int:asset_id>", summary="One asset", path=AssetRef, reply=Asset,
         access=Access.PUBLIC, errors={404: "No such asset (or not public)"})
def get_asset(asset_id: int) -> ResponseReturnValue:
    row = db_session().execute(
        select(AssetRow, Site).join(Site, AssetRow.site_id == Site.id)
        .where(AssetRow.id == asset_id)
    ).first()
    if row is None:
        raise not_found("asset")
    body = asset_body(*row).model_dump(mode="json")
    if current_user.is_authenticated:
        return jsonify(_for_caller(body))
    if not asset_is_public(row[0]):
        # Indistinguishable from a missing one: the public learns nothing of it.
        raise not_found("asset")
    return jsonify(public_asset_body(body))


def _for_caller(body: dict[str, Any]) -> dict[str, Any]:
    """A signed-in caller's body: the guardian only for those who may see personal data."""
    if can_see_personal_data(current_user):
        return body
    return {k: v for k, v in body.items() if k not in GUARDIAN_FIELDS}


# --- registry editing: coordinators and admins, through the one validator -------------

def _answer(asset: AssetRow, created: bool = False) -> ResponseReturnValue:
    return answer(asset_body(asset, asset.site),
                  f"/api/v1/assets/{asset.id}" if created else None)


@api.post("/assets", summary="Add an AED or a first-aid kit", body=NewAsset, reply=Asset,
          status=201, access=Access.COORDINATOR, errors=WRITE_ERRORS,
          description="Answers with the new asset as GET /assets/{asset_id} does. Its "
          "readiness is evaluated at once.")
def add_asset(body: NewAsset) -> ResponseReturnValue:
    done = committed(lambda: create_asset(db_session(), given(body), utcnow(),
                                          get_aed_context()), "asset")
    return _answer(done.row, created=True)


@api.route("patch", "/assets/<int:asset_id>", summary="Change an AED or a kit",
           path=AssetRef, body=AssetChanges, reply=Asset, access=Access.COORDINATOR,
           errors={409: "The asset is retired", **WRITE_ERRORS},
           description="Only the members sent change. A change of dates, position, hours, "
           "site or device evaluates the AED again at once.")
def change_asset(asset_id: int, body: AssetChanges) -> ResponseReturnValue:
    asset = found(db_session().get(AssetRow, asset_id), "asset")
    committed(lambda: edit_asset(db_session(), asset, given(body), utcnow(),
                                 get_aed_context()), "asset")
    return _answer(asset)


@api.post("/assets/<int:asset_id>/retire", summary="Retire an AED or a kit", path=AssetRef,
          body=Retire, reply=Asset, access=Access.COORDINATOR,
          errors={409: "Already retired", **WRITE_ERRORS},
          description="Out of service for good: it keeps its record and history, leaves "
          "the maps, worklists and nearest, and its open alerts are resolved with the "
          "reason (\"retired: <reason>\").")
def retire(asset_id: int, body: Retire) -> ResponseReturnValue:
    asset = found(db_session().get(AssetRow, asset_id), "asset")
    committed(lambda: retire_asset(db_session(), asset, body.reason, utcnow(),
                                   get_aed_context(), getattr(current_user, "id", None)),
              "asset")
    return _answer(asset)
