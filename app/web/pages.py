from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlalchemy import select

from app.coverage.state import AVAILABLE_STATUSES
from app.extensions import db_session
from app.i18n import current_locale_code
from app.mapping.public_policy import public_asset_clause
from app.mapping.worklist import build_worklist
from app.models import Asset, Site
from app.web.blueprint import bp
from app.web.coverage_views import dashboard_coverage, worklist_coverage
from app.web.labels import alert_words


@bp.get("/assets")
def asset_list() -> ResponseReturnValue:
    """The public list of AEDs (no login: anyone may look for the nearest AED)."""
    query = select(Asset, Site).join(Site, Asset.site_id == Site.id).order_by(Site.lat, Asset.id)
    if not current_user.is_authenticated:
        # Visitors see what the public map shows: only assets marked public.
        query = query.where(public_asset_clause())
    rows = db_session().execute(query).all()
    return render_template("assets.html", rows=rows)


def _position() -> tuple[float, float] | None:
    try:
        lat = float(request.args["lat"])
        lon = float(request.args["lon"])
    except (KeyError, ValueError):
        return None
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    scope = request.args.get("scope", "")
    team_id = current_user.team_id if current_user.role == "volunteer" and scope != "all" else None
    position = _position()
    session = db_session()
    items = build_worklist(session, team_id, position, coverage=worklist_coverage(session))
    return render_template(
        "dashboard.html", items=items, position=position, scope=scope,
        alert_words=alert_words([a for item in items for a in item.alerts]),
        own_team_only=team_id is not None,
        coverage=dashboard_coverage(session, current_locale_code()),
        available=AVAILABLE_STATUSES,
    )
