from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.extensions import db_session
from app.models import Asset, Site
from app.web import bp
from app.web.labels import STATUS_LABELS


@bp.get("/")
@bp.get("/assets")
def asset_list() -> ResponseReturnValue:
    rows = db_session().execute(
        select(Asset, Site).join(Site, Asset.site_id == Site.id).order_by(Site.lat, Asset.id)
    ).all()
    return render_template("assets.html", rows=rows, labels=STATUS_LABELS)
