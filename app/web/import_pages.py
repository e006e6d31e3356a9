"""Web upload for imports (with dry run) and download links for exports."""

from __future__ import annotations

from flask import Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth.permissions import can_see_personal_data, roles_required
from app.extensions import db_session, get_aed_context, get_settings
from app.importexport.exporter import export_text
from app.importexport.formats import MAX_IMPORT_BYTES, FormatError, detect_format, read_rows
from app.importexport.importer import ImportReport, import_rows
from app.models import utcnow
from app.web.blueprint import bp


@bp.route("/import", methods=["GET", "POST"])
@login_required
@roles_required("admin", "coordinator")
def import_page() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("import.html", report=None, error=None)
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    if kind not in {"sites", "assets"} or upload is None or not upload.filename:
        return render_template("import.html", report=None,
                               error=_("Choose what to import and a file.")), 400
    data = upload.read(MAX_IMPORT_BYTES + 1)  # one byte more tells read_rows it is too big
    try:
        rows = read_rows(data, kind, detect_format(upload.filename))
    except FormatError as exc:
        # Messages are marked with N_() in formats.py; shown in the user's language.
        return render_template("import.html", report=None,
                               error=_(exc.message, **exc.params)), 400
    dry_run = request.form.get("dry_run") == "yes"
    session = db_session()
    report: ImportReport = import_rows(session, kind, rows, utcnow(), get_aed_context(),
                                       dry_run=dry_run,
                                       match_radius_m=get_settings().import_match_radius_m)
    if not dry_run:
        session.commit()
    return render_template("import.html", report=report, error=None)


@bp.get("/export/<kind>.<fmt>")
@login_required
def export_download(kind: str, fmt: str) -> ResponseReturnValue:
    if kind not in {"sites", "assets"} or fmt not in {"csv", "geojson"}:
        abort(404)
    include = request.args.get("include_fictional") == "1"
    text = export_text(db_session(), kind, fmt, include_fictional=include,
                       personal=can_see_personal_data(current_user))
    mimetype = "application/geo+json" if fmt == "geojson" else "text/csv"
    return Response(text, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{kind}.{fmt}"'})
