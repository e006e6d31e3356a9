"""Asset page with history, the monthly check, pad/battery replacement, maintenance mode
and the use-incident flow."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app.aeds.consumables import ReplacementError, replace_consumables
from app.aeds.incidents import (
    IncidentError,
    IncidentReport,
    close_incident,
    open_incident_alerts,
)
from app.aeds.inspections import CHECK_ITEMS, Checklist, record_inspection
from app.aeds.maintenance import end_maintenance, start_maintenance
from app.auth.permissions import can_act_on_asset
from app.extensions import db_session, get_aed_context, wake_notifier
from app.models import Alert, Asset, Device, DeviceEvent, DeviceState, Inspection, Telemetry
from app.web.blueprint import bp
from app.web.charts import line_chart
from app.web.common import acting_on, get_or_404, now, parse_date, push_config_and_report
from app.web.coverage_views import aed_page_coverage
from app.web.labels import alert_words
from app.web.photos import PhotoError, save_photo


def _history(asset: Asset) -> dict[str, object]:
    dbs = db_session()
    inspections = dbs.scalars(
        select(Inspection).where(Inspection.asset_id == asset.id)
        .order_by(Inspection.performed_at.desc()).limit(20)
    ).all()
    alerts = dbs.scalars(
        select(Alert).where(Alert.asset_id == asset.id).order_by(Alert.opened_at.desc()).limit(20)
    ).all()
    events: list[DeviceEvent] = []
    battery_points: list[tuple[object, float]] = []
    temp_points: list[tuple[object, float]] = []
    device = dbs.get(Device, asset.device_pk) if asset.device_pk is not None else None
    state = dbs.get(DeviceState, asset.device_pk) if asset.device_pk is not None else None
    if device is not None:
        events = list(dbs.scalars(
            select(DeviceEvent)
            .where(DeviceEvent.gateway_id == device.gateway_id,
                   DeviceEvent.device_id == device.device_id)
            .order_by(DeviceEvent.ts.desc()).limit(20)
        ))
        since = now() - timedelta(days=30)
        rows = dbs.execute(
            select(Telemetry.ts, Telemetry.readings)
            .where(Telemetry.gateway_id == device.gateway_id,
                   Telemetry.device_id == device.device_id, Telemetry.ts >= since)
            .order_by(Telemetry.ts.desc()).limit(720)
        ).all()
        for ts, readings in reversed(rows):
            if isinstance(readings.get("battery_pct"), int | float):
                battery_points.append((ts, float(readings["battery_pct"])))
            if isinstance(readings.get("temp_c"), int | float):
                temp_points.append((ts, float(readings["temp_c"])))
    charts = {
        "battery": line_chart(battery_points, _("Battery"), "%", 0, 100),  # type: ignore[arg-type]
        "temperature": line_chart(temp_points, _("Temperature"), "°C"),  # type: ignore[arg-type]
    }
    return {"inspections": inspections, "alerts": alerts, "alert_words": alert_words(alerts),
            "events": events, "device": device, "state": state, "charts": charts}


@bp.get("/assets/<int:asset_id>")
@login_required
def asset_detail(asset_id: int) -> ResponseReturnValue:
    asset = get_or_404(Asset, asset_id)
    return render_template(
        "asset.html", asset=asset, can_act=can_act_on_asset(current_user, asset),
        incident_alerts=open_incident_alerts(db_session(), asset), now=now(),
        coverage=aed_page_coverage(db_session(), asset.id),
        **_history(asset),
    )


def _tri_state(name: str) -> bool | None:
    value = request.form.get(name)
    return {"ok": True, "problem": False}.get(value or "")


@bp.route("/assets/<int:asset_id>/inspect", methods=["GET", "POST"])
@acting_on(Asset, can_act_on_asset)
def asset_inspect(asset: Asset) -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("inspect.html", asset=asset, items=CHECK_ITEMS)
    checklist = Checklist(**{k: _tri_state(k) for k in CHECK_ITEMS})
    try:
        photo_path = save_photo(request.files.get("photo"), asset.id)
    except PhotoError:
        flash(_("The photo must be a JPEG, PNG or WebP image under 15 MB."), "error")
        return render_template("inspect.html", asset=asset, items=CHECK_ITEMS), 400
    dbs = db_session()
    record_inspection(
        dbs, asset, checklist, current_user.id, now(), get_aed_context(),
        notes=request.form.get("notes", "")[:2000], photo_path=photo_path,
    )
    dbs.commit()
    if checklist.result == "pass":
        flash(_("Check recorded: everything in order."), "success")
    else:
        flash(_("Check recorded with problems; the coordinator can see them."), "warning")
    return redirect(url_for("web.asset_detail", asset_id=asset.id))


@bp.route("/assets/<int:asset_id>/replace", methods=["GET", "POST"])
@acting_on(Asset, can_act_on_asset)
def asset_replace(asset: Asset) -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("replace.html", asset=asset)
    pad = parse_date(request.form.get("pad_expiry"))
    battery = parse_date(request.form.get("battery_expiry"))
    paediatric = parse_date(request.form.get("paediatric_pad_expiry"))
    dbs = db_session()
    try:
        outcome = replace_consumables(
            dbs, asset, current_user.id, now(), get_aed_context(),
            pad_expiry=pad, battery_expiry=battery, paediatric_pad_expiry=paediatric,
        )
    except ReplacementError:
        dbs.rollback()
        flash(_("Enter at least one new expiry date, later than today."), "error")
        return render_template("replace.html", asset=asset), 400
    dbs.commit()
    flash(_("Replacement recorded."), "success")
    push_config_and_report(outcome.gateway_id)
    return redirect(url_for("web.asset_detail", asset_id=asset.id))


@bp.post("/assets/<int:asset_id>/maintenance")
@acting_on(Asset, can_act_on_asset)
def asset_maintenance(asset: Asset) -> ResponseReturnValue:
    dbs = db_session()
    if request.form.get("action") == "end":
        end_maintenance(dbs, asset, now(), get_aed_context())
        flash(_("Maintenance mode ended."), "success")
    else:
        try:
            minutes = int(request.form.get("minutes", "30"))
            start_maintenance(dbs, asset, minutes, now(), get_aed_context())
        except ValueError:
            flash(_("Choose between 1 and 480 minutes."), "error")
            return redirect(url_for("web.asset_detail", asset_id=asset.id))
        flash(_("Maintenance mode on for %(minutes)d minutes: door alerts are muted.",
                minutes=minutes), "success")
    dbs.commit()
    return redirect(url_for("web.asset_detail", asset_id=asset.id))


@bp.route("/assets/<int:asset_id>/incident", methods=["GET", "POST"])
@acting_on(Asset, can_act_on_asset)
def asset_incident(asset: Asset) -> ResponseReturnValue:
    dbs = db_session()
    open_alerts = open_incident_alerts(dbs, asset)
    if request.method == "GET":
        return render_template("incident.html", asset=asset, open_alerts=open_alerts)
    report = IncidentReport(
        aed_used=request.form.get("aed_used") == "yes",
        pads_replaced=request.form.get("pads_replaced") == "yes",
        new_pad_expiry=parse_date(request.form.get("new_pad_expiry")),
        aed_returned=request.form.get("aed_returned") == "yes",
        note=request.form.get("note", "")[:1000],
    )
    try:
        outcome = close_incident(dbs, asset, report, current_user.id, now(), get_aed_context())
    except (IncidentError, ReplacementError) as exc:
        dbs.rollback()
        messages = {
            "not_returned": _("Put the AED back in its cabinet first, then confirm it here."),
            "pads_not_replaced": _(
                "The AED was used: replace the pads and enter their expiry date."
            ),
        }
        code = exc.code if isinstance(exc, IncidentError) else ""
        flash(messages.get(code, _("Enter the expiry date of the new pads (later than today).")),
              "error")
        return render_template("incident.html", asset=asset, open_alerts=open_alerts), 400
    dbs.commit()
    # Those told of the opening hear at once that the AED is back.
    wake_notifier()
    flash(_("Incident closed. The AED is back in service."), "success")
    if outcome.replacement is not None:
        push_config_and_report(outcome.replacement.gateway_id)
    return redirect(url_for("web.asset_detail", asset_id=asset.id))
