"""The programme report (``/reports/programme?year=``) and its CSV export: anonymous
counts only (app/training/report.py), for everyone signed in."""

from __future__ import annotations

from flask import Response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from app.api.map_common import local_today
from app.extensions import db_session, get_settings
from app.i18n import current_locale_code
from app.models import COURSE_TYPES
from app.training.report import EXPIRING_WITHIN_DAYS, ProgrammeReport, programme_report, report_csv
from app.web.blueprint import bp
from app.web.charts import bar_chart
from app.web.common import now

#: Years the report may be asked for (typing slips get this year's).
FIRST_YEAR, LAST_YEAR = 1990, 2100


def _report() -> ProgrammeReport:
    raw = request.args.get("year", "")
    year = int(raw) if raw.isdigit() and FIRST_YEAR <= int(raw) <= LAST_YEAR else None
    return programme_report(db_session(), year or local_today().year, now(), get_settings().tz)


@bp.get("/reports/programme")
@login_required
def programme_page() -> ResponseReturnValue:
    report = _report()
    years = list(report.by_year)
    charts = {
        "certificate": bar_chart([(str(y), report.by_year[y]["certificate"]) for y in years],
                                 _("Certificate-level trainees per year"), _("people")),
        "awareness": bar_chart([(str(y), report.by_year[y]["awareness"]) for y in years],
                               _("Awareness reach per year"), _("people")),
    }
    return render_template("reports/programme.html", report=report, charts=charts,
                           course_types=COURSE_TYPES, years=years,
                           expiring_days=EXPIRING_WITHIN_DAYS)


@bp.get("/reports/programme.csv")
@login_required
def programme_csv() -> ResponseReturnValue:
    report = _report()
    return Response(report_csv(report, current_locale_code()), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="programme-{report.year}.csv"'})
