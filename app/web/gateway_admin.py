"""Gateway provisioning page (admins): add, rotate and revoke broker credentials.

The generated agent config (with the password) is shown once, in the response to the
POST, never stored and sent with `Cache-Control: no-store`.
"""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from app.auth.permissions import roles_required
from app.extensions import db_session, get_settings
from app.gateways import provisioning
from app.gateways.broker_admin import BrokerAdmin
from app.gateways.provisioning import AgentEndpoint, DeviceBinding, Provisioned
from app.models import Site
from app.web.blueprint import bp


def _admin() -> BrokerAdmin:
    return BrokerAdmin.from_settings(get_settings())


def _endpoint() -> AgentEndpoint:
    port_text = request.form.get("port", "").strip()
    return AgentEndpoint.for_settings(
        get_settings(),
        host=request.form.get("host", "").strip() or None,
        port=int(port_text) if port_text.isdigit() else None,
        ca_file=request.form.get("ca_file", "").strip() or None,
    )


def _page(result: Provisioned | None = None, status: int = 200) -> ResponseReturnValue:
    dbs = db_session()
    default = AgentEndpoint.for_settings(get_settings())
    response = make_response(render_template(
        "gateway_admin.html", gateways=provisioning.list_gateways(dbs),
        sites=dbs.scalars(select(Site).order_by(Site.external_id)).all(),
        result=result, default_host=default.host, default_port=default.port), status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/gateways/provisioning")
@login_required
@roles_required("admin")
def gateway_admin() -> ResponseReturnValue:
    return _page()


@bp.post("/gateways/provisioning")
@login_required
@roles_required("admin")
def gateway_admin_action() -> ResponseReturnValue:
    dbs = db_session()
    action = request.form.get("action", "")
    gateway_id = request.form.get("gateway_id", "").strip()
    try:
        result: Provisioned | None = None
        if action == "add":
            devices = [DeviceBinding.parse(part) for part in
                       request.form.get("devices", "").replace(",", " ").split()]
            result = provisioning.add_gateway(
                dbs, _admin(), gateway_id, request.form.get("site", ""), _endpoint(), devices,
                name=request.form.get("name", "").strip() or None)
        elif action == "rotate":
            result = provisioning.rotate_gateway(dbs, _admin(), gateway_id, _endpoint())
        elif action == "revoke":
            provisioning.revoke_gateway(dbs, _admin(), gateway_id)
        else:
            flash(_("Unknown action."), "error")
            return redirect(url_for("web.gateway_admin"))
        dbs.commit()
    except provisioning.PROVISIONING_ERRORS as exc:
        dbs.rollback()
        flash(str(exc), "error")
        return _page(status=400)
    if result is None:
        flash(_("Gateway %(id)s revoked: disconnected, cannot log in again.", id=gateway_id),
              "success")
        return redirect(url_for("web.gateway_admin"))
    return _page(result)
