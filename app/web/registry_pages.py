"""The registry editor under /registry: sites, AEDs and first-aid kits for coordinators
and admins (anyone else gets 403). Lists with search, new and edit forms, retirement with
a reason and a confirmation.

The forms hand what was typed to app.registry.operations, which runs the one validator
(app.registry.rules) and checks the references; each problem comes back beside its field
in the reader's language (app.registry.words). The position is set by tapping the map or
dragging its marker (app/static/registry-form.js, Leaflet from the maps' static files),
or by typing latitude and longitude without JavaScript; the access hours are checked as
they are typed through GET /api/v1/hours/check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from flask import (
    abort,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from app.extensions import db_session, get_aed_context, get_settings
from app.i18n import current_locale_code
from app.models import Asset, Device, Site, Team
from app.registry import words
from app.registry.hours import HoursPreview, preview
from app.registry.operations import (
    AlreadyRetired,
    Done,
    Row,
    asset_record,
    create_asset,
    create_site,
    device_ref,
    edit_asset,
    edit_site,
    retire_asset,
    retire_site,
    site_record,
)
from app.registry.rules import (
    ASSET_RULES,
    SITE_RULES,
    FieldError,
    RegistryInvalid,
    check_retire_reason,
)
from app.web.blueprint import bp
from app.web.common import get_or_404, now, push_config_and_report
from app.web.map_pages import static_prefix
from app.web.photos import PhotoError, save_photo
from maps.builder import DEFAULT_CENTER
from maps.tiles import get_provider

F = TypeVar("F", bound=Callable[..., ResponseReturnValue])
EDITORS = frozenset({"admin", "coordinator"})
ASSET_FLAGS = ("indoor", "public", "paediatric_pads")
LIST_LIMIT = 200


def may_edit_registry(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in EDITORS


def editors_only(view: F) -> F:
    """Signed in (else the login page), and a coordinator or an admin (else 403)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        if not may_edit_registry(current_user):
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapper)


@bp.app_context_processor
def _registry_context() -> dict[str, Any]:
    # The asset and site pages show an "Edit" link to those who may edit, and say when
    # a row was retired.
    allowed = has_request_context() and may_edit_registry(current_user)
    return {"may_edit_registry": allowed,
            "registry_text": lambda key, **params: words.text(key, _locale(), **params)}


def _locale() -> str:
    return current_locale_code()


@dataclass
class Form:
    """A form as typed: text per field, the words beside each field with a problem, and
    remarks that did not stop the save (hours not understood)."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    def show(self, problems: tuple[FieldError, ...] | list[FieldError],
             into: dict[str, str] | None = None) -> None:
        target = self.errors if into is None else into
        for problem in problems:
            target.setdefault(problem.field, words.error_text(problem, _locale()))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(round(value, 7))
    return str(value)


def _posted(names: Mapping[str, Any], flags: tuple[str, ...] = ()) -> dict[str, str]:
    values = {name: request.form.get(name, "") for name in names if name not in flags}
    values.update({name: "yes" if request.form.get(name) else "no" for name in flags})
    return values


# --- map and hours for the templates ------------------------------------------------

def _map_config(lat: float | None, lon: float | None) -> dict[str, Any]:
    provider = get_provider(get_settings().map_tiles)
    center = (lat, lon) if lat is not None and lon is not None else DEFAULT_CENTER
    prefix = static_prefix()
    return {
        "leaflet_js": prefix + "vendor/leaflet/leaflet.js",
        "leaflet_css": prefix + "vendor/leaflet/leaflet.css",
        "tiles_url": provider.url, "attribution": provider.attribution,
        "subdomains": provider.subdomains, "max_zoom": provider.max_zoom,
        "gcj02": "1" if provider.gcj02 else "0", "center": center,
        "has_position": lat is not None and lon is not None,
    }


def _float_or_none(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _hours(value: str) -> HoursPreview:
    return preview(value, now(), get_settings().tz, _locale())


def _page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    locale = _locale()
    return render_template(
        template, L=words.in_locale(words.LABELS, locale),
        H=words.in_locale(words.HINTS, locale), T=words.in_locale(words.TEXTS, locale),
        SITE_KINDS=words.in_locale(words.SITE_KIND_WORDS, locale),
        hours_url=url_for("api.check_hours_as_typed"), **context), status


def _save(form: Form, run: Callable[[], Done[Row]],
          also: Callable[[Done[Row]], bool] | None = None) -> Done[Row] | None:
    """Run the operation and commit; on a problem (shown beside its field) nothing is
    kept and None says to show the form again. ``also`` is a further step in the same
    transaction (the photo), False when it failed."""
    dbs = db_session()
    try:
        done = run()
    except RegistryInvalid as invalid:
        form.show(invalid.errors)
        done = None
    except AlreadyRetired:
        dbs.rollback()
        abort(409)
    if done is None or (also is not None and not also(done)):
        dbs.rollback()
        flash(words.text("not_saved", _locale()), "error")
        return None
    dbs.commit()
    return done


def _in_service(row: Row) -> Row:
    """A retired row is not edited (409): its page says when and why it was retired."""
    if row.retired_at is not None:
        abort(409)
    return row


def _report(outcome_warnings: tuple[FieldError, ...], saved: str) -> None:
    flash(words.text(saved, _locale()), "success")
    for warning in outcome_warnings:
        flash(f"{words.label(warning.field, _locale())}: "
              f"{words.error_text(warning, _locale())}", "warning")


# --- the list -----------------------------------------------------------------------

@bp.get("/registry")
@editors_only
def registry_list() -> ResponseReturnValue:
    q = request.args.get("q", "").strip()[:100]
    retired = request.args.get("retired") == "yes"
    dbs = db_session()
    sites = select(Site).order_by(Site.name, Site.id)
    assets = select(Asset, Site).join(Site, Site.id == Asset.site_id).order_by(
        Site.name, Asset.name, Asset.id)
    if q:
        like = f"%{q}%"
        sites = sites.where(or_(Site.name.ilike(like), Site.name_en.ilike(like),
                                Site.external_id.ilike(like), Site.address.ilike(like)))
        assets = assets.where(or_(Asset.name.ilike(like), Asset.name_en.ilike(like),
                                  Asset.external_id.ilike(like), Asset.serial.ilike(like)))
    if not retired:
        sites = sites.where(Site.retired_at.is_(None))
        assets = assets.where(Asset.retired_at.is_(None))
    return _page("registry/list.html", q=q, retired=retired,
                 sites=dbs.scalars(sites.limit(LIST_LIMIT)).all(),
                 assets=dbs.execute(assets.limit(LIST_LIMIT)).all())


# --- sites --------------------------------------------------------------------------

def _site_form_page(form: Form, site: Site | None, status: int = 200) -> ResponseReturnValue:
    teams = [(t.id, t.name) for t in db_session().scalars(select(Team).order_by(Team.name))]
    return _page("registry/site_form.html", status, form=form, site=site, teams=teams,
                 map=_map_config(_float_or_none(form.values["lat"]),
                                 _float_or_none(form.values["lon"])),
                 hours=_hours(form.values["opening_hours"]))


def _site_values(site: Site | None) -> dict[str, str]:
    if site is None:
        values = {name: "" for name in SITE_RULES}
        values["kind"] = "riverside_point"
        values["team_id"] = ""
        return values
    values = {k: _text(v) for k, v in vars(site_record(site)).items()}
    values["team_id"] = _text(site.team_id)
    return values


@bp.route("/registry/sites/new", methods=["GET", "POST"])
@editors_only
def registry_site_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _site_form_page(Form(_site_values(None)), None)
    form = Form(_posted({**SITE_RULES, "team_id": None}))
    done = _save(form, lambda: create_site(db_session(), form.values))
    if done is None:
        return _site_form_page(form, None, 400)
    _report(done.outcome.warnings, "created_site")
    return redirect(url_for("web.site_detail", site_id=done.row.id))


@bp.route("/registry/sites/<int:site_id>/edit", methods=["GET", "POST"])
@editors_only
def registry_site_edit(site_id: int) -> ResponseReturnValue:
    site = _in_service(get_or_404(Site, site_id))
    if request.method == "GET":
        return _site_form_page(Form(_site_values(site)), site)
    form = Form(_posted({**SITE_RULES, "team_id": None}))
    done = _save(form, lambda: edit_site(db_session(), site, form.values, now(),
                                          get_aed_context()))
    if done is None:
        return _site_form_page(form, site, 400)
    _report(done.outcome.warnings, "saved_site")
    return redirect(url_for("web.site_detail", site_id=site.id))


@bp.route("/registry/sites/<int:site_id>/retire", methods=["GET", "POST"])
@editors_only
def registry_site_retire(site_id: int) -> ResponseReturnValue:
    site = get_or_404(Site, site_id)
    assets = db_session().scalars(select(Asset).where(
        Asset.site_id == site.id, Asset.retired_at.is_(None)).order_by(Asset.id)).all()
    return _retire(site, "site", lambda reason: retire_site(
        db_session(), site, reason, now(), get_aed_context(), current_user.id),
        url_for("web.site_detail", site_id=site.id), assets=assets)


# --- assets -------------------------------------------------------------------------

def _device_choices(asset: Asset | None) -> list[tuple[str, str]]:
    """Devices an AED may be bound to: unbound ones, those of retired assets, its own."""
    dbs = db_session()
    rows = dbs.execute(
        select(Device, Asset).outerjoin(Asset, Asset.device_pk == Device.id)
        .order_by(Device.gateway_id, Device.device_id)).all()
    choices = []
    for device, holder in rows:
        if holder is None or holder.retired_at is not None or (
                asset is not None and holder.id == asset.id):
            ref = device_ref(device) or ""
            choices.append((ref, f"{device.gateway_id} / {device.device_id}"))
    return choices


def _asset_form_page(form: Form, asset: Asset | None, status: int = 200
                     ) -> ResponseReturnValue:
    dbs = db_session()
    sites = dbs.scalars(select(Site).where(Site.retired_at.is_(None))
                        .order_by(Site.name, Site.id)).all()
    lat, lon = _float_or_none(form.values["lat"]), _float_or_none(form.values["lon"])
    if lat is None or lon is None:
        chosen = next((s for s in sites if str(s.id) == form.values["site_id"]), None)
        if chosen is not None:
            lat, lon = chosen.lat, chosen.lon
    site_positions = {str(s.id): (s.lat, s.lon) for s in sites}
    return _page("registry/asset_form.html", status, form=form, asset=asset, sites=sites,
                 site_positions=site_positions, devices=_device_choices(asset),
                 map=_map_config(lat, lon), hours=_hours(form.values["access_hours"]),
                 kinds=("aed", "first_aid_kit"))


def _asset_values(asset: Asset | None, site_id: str = "") -> dict[str, str]:
    if asset is None:
        values = {name: "" for name in ASSET_RULES}
        values.update(kind="aed", public="yes", site_id=site_id, device="")
        return values
    values = {k: _text(v) for k, v in vars(asset_record(asset)).items()}
    values["site_id"] = str(asset.site_id)
    values["device"] = device_ref(asset.device) or ""
    return values


def _asset_form(asset: Asset | None) -> Form:
    """The form as posted; else as the asset stands (a new one: at the site asked for)."""
    if request.method == "POST":
        return Form(_posted({**ASSET_RULES, "site_id": None, "device": None}, ASSET_FLAGS))
    site_id = request.args.get("site_id", "")
    return Form(_asset_values(asset, site_id if site_id.isdigit() else ""))


def _save_photo(asset: Asset, form: Form) -> bool:
    try:
        path = save_photo(request.files.get("photo"), asset.id)
    except PhotoError:
        form.errors["photo"] = words.ERRORS["photo"].in_(_locale())
        return False
    if path is not None:
        asset.photo_path = path
    return True


def _after_asset_save(asset: Asset, gateway_ids: list[str]) -> ResponseReturnValue:
    for gateway_id in gateway_ids:
        push_config_and_report(gateway_id)
    return redirect(url_for("web.asset_detail", asset_id=asset.id))


@bp.route("/registry/assets/new", methods=["GET", "POST"])
@editors_only
def registry_asset_new() -> ResponseReturnValue:
    form = _asset_form(None)
    if request.method == "GET":
        return _asset_form_page(form, None)
    done = _save(form, lambda: create_asset(db_session(), form.values, now(), get_aed_context()),
                 lambda made: _save_photo(made.row, form))
    if done is None:
        return _asset_form_page(form, None, 400)
    _report(done.outcome.warnings, "created_asset")
    return _after_asset_save(done.row, done.outcome.gateway_ids)


@bp.route("/registry/assets/<int:asset_id>/edit", methods=["GET", "POST"])
@editors_only
def registry_asset_edit(asset_id: int) -> ResponseReturnValue:
    asset = _in_service(get_or_404(Asset, asset_id))
    form = _asset_form(asset)
    if request.method == "GET":
        return _asset_form_page(form, asset)
    done = _save(form, lambda: edit_asset(db_session(), asset, form.values, now(),
                                          get_aed_context()),
                 lambda _: _save_photo(asset, form))
    if done is None:
        return _asset_form_page(form, asset, 400)
    _report(done.outcome.warnings, "saved_asset")
    return _after_asset_save(asset, done.outcome.gateway_ids)


@bp.route("/registry/assets/<int:asset_id>/retire", methods=["GET", "POST"])
@editors_only
def registry_asset_retire(asset_id: int) -> ResponseReturnValue:
    asset = get_or_404(Asset, asset_id)
    return _retire(asset, "asset", lambda reason: retire_asset(
        db_session(), asset, reason, now(), get_aed_context(), current_user.id),
        url_for("web.asset_detail", asset_id=asset.id))


def _retire(row: Site | Asset, what: str, run: Callable[[str], Any], back: str,
            **context: Any) -> ResponseReturnValue:
    """The retire page: a reason and a confirmation box; then the operation."""
    if row.retired_at is not None:
        flash(words.text("retired_on", _locale(), day=row.retired_at.astimezone(get_settings().tz).date().isoformat(),
                         reason=row.retired_reason or ""), "info")
        return redirect(back)
    form = Form({"reason": request.form.get("reason", ""),
                 "confirm": "yes" if request.form.get("confirm") else ""})
    if request.method == "GET":
        return _page("registry/retire.html", row=row, what=what, form=form, back=back,
                     **context)
    dbs = db_session()
    if not form.values["confirm"]:
        form.errors["confirm"] = words.text("retire_confirm_needed", _locale())
    try:
        if form.errors:
            # Only to show every problem at once: nothing is written.
            check_retire_reason(form.values["reason"])
        else:
            run(form.values["reason"])
    except RegistryInvalid as invalid:
        form.show(invalid.errors)
    if form.errors:
        dbs.rollback()
        flash(words.text("not_saved", _locale()), "error")
        return _page("registry/retire.html", 400, row=row, what=what, form=form, back=back,
                     **context)
    dbs.commit()
    flash(words.text("retired_done", _locale()), "success")
    return redirect(back)
