"""The training programme's pages: courses (``/trainings``) with their attendee lists and
the list upload, responders (``/responders``), and a site's cover (``/sites/<id>/cover``).

Everyone signed in reads them; coordinators and admins record and change things, and
only they see a responder's phone and certificate number
(app/auth/permissions.can_see_personal_data). Every check is the training package's
(app/training/rules.py); a page only turns what was typed into values and shows each
problem beside its field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from app.api.map_common import local_today
from app.auth.permissions import can_see_personal_data, roles_required
from app.extensions import db_session, get_settings
from app.i18n import current_locale_code
from app.importexport.formats import MAX_IMPORT_BYTES, FormatError
from app.models import (
    COURSE_TYPES,
    OUTREACH_SETTINGS,
    SERVICE_ROLES,
    TRAINING_BASES,
    Course,
    CourseAttendance,
    Organisation,
    Responder,
    ResponderSite,
    Site,
    Team,
)
from app.training.attendee_files import COLUMNS, read_attendees
from app.training.attendees import AttendeeReport, import_attendees
from app.training.certificates import is_valid, valid_sql, years_after
from app.training.courses import current_values as course_values
from app.training.courses import read_course, save_course
from app.training.cover import Cover, cover_of
from app.training.policy import training_policy
from app.training.refresh import TrainingContext, check_training
from app.training.responders import (
    current_values,
    erase_responder,
    read_responder,
    save_responder,
    served_sites,
)
from app.training.rules import FieldError, TrainingInvalid
from app.training.words import BASE_WORDS, COURSE_TYPE_WORDS, ERASED, ROLE_WORDS, SETTING_WORDS
from app.web.blueprint import bp
from app.web.common import View, form_page, get_or_404, now

COORDINATORS = ("admin", "coordinator")
#: Blank station rows a responder form offers besides the stations already listed.
SPARE_SITE_ROWS = 2
MAX_SITE_ROWS = 100
PAGE = 100



def coordinators_form(rule: str) -> Callable[[View], View]:
    """A form page (GET shows it, POST saves it) for coordinators and admins."""
    return form_page(rule, COORDINATORS)


def coordinators_post(rule: str) -> Callable[[View], View]:
    """An action (POST only) for coordinators and admins."""
    def register(view: View) -> View:
        return bp.post(rule)(login_required(roles_required(*COORDINATORS)(view)))
    return register


def _context() -> TrainingContext:
    settings = get_settings()
    return TrainingContext(training_policy(settings), settings.tz)


def word(table: Mapping[str, Any], code: str | None) -> str:
    """A code's words in the reader's language ("" for none)."""
    if not code:
        return ""
    found = table.get(code)
    return found.in_(current_locale_code()) if found else code


def _named(row: Organisation | Team | None) -> str:
    if row is None:
        return ""
    return row.name_en if current_locale_code() == "en" and row.name_en else row.name


def column_word(column: str) -> str:
    """An attendee list's column as its heading reads in the reader's language (the
    training base's Chinese heading, or our English name)."""
    if current_locale_code() == "en":
        return column
    return next((h for h in COLUMNS.get(column, ()) if not h.isascii()), column)


def responder_name(responder: Responder) -> str:
    return responder.name or ERASED.in_(current_locale_code())


@bp.app_context_processor
def _training_words() -> dict[str, Any]:
    return {"course_type_word": lambda c: word(COURSE_TYPE_WORDS, c),
            "setting_word": lambda c: word(SETTING_WORDS, c),
            "base_word": lambda c: word(BASE_WORDS, c),
            "role_word": lambda c: word(ROLE_WORDS, c),
            "org_name": _named, "responder_name": responder_name, "column_word": column_word,
            "site_cover": site_cover}


@dataclass
class Form:
    """A form as typed (text values) and the problem shown beside each field."""

    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)

    def show(self, errors: Iterable[FieldError]) -> None:
        for error in errors:
            # Messages are marked with N_() in app/training/rules.py and its users.
            self.errors.setdefault(error.field, _(error.message, **error.params))


def _done(message: str, endpoint: str, **ids: Any) -> ResponseReturnValue:
    """Commit what the form saved, say so, and show the saved record."""
    db_session().commit()
    flash(message, "success")
    return redirect(url_for(endpoint, **ids))


def _organisations() -> list[tuple[int, str]]:
    rows = db_session().scalars(select(Organisation).order_by(Organisation.id))
    return [(o.id, _named(o)) for o in rows]


def _teams() -> list[tuple[int, str]]:
    return [(t.id, _named(t)) for t in db_session().scalars(select(Team).order_by(Team.code))]


# --- courses ---------------------------------------------------------------------------

def _year_arg() -> int | None:
    raw = request.args.get("year", "")
    return int(raw) if raw.isdigit() and 1990 <= int(raw) <= 2100 else None


@bp.get("/trainings")
@login_required
def course_list() -> ResponseReturnValue:
    dbs = db_session()
    year = _year_arg()
    listed = (select(CourseAttendance.course_id, func.count().label("n"))
              .group_by(CourseAttendance.course_id).subquery())
    query = (select(Course, listed.c.n).outerjoin(listed, listed.c.course_id == Course.id)
             .order_by(Course.held_on.desc(), Course.id.desc()))
    if year is not None:
        query = query.where(Course.held_on >= date(year, 1, 1),
                            Course.held_on < date(year + 1, 1, 1))
    rows = dbs.execute(query.limit(PAGE)).all()
    orgs = {o.id: o for o in dbs.scalars(select(Organisation))}
    return render_template("training/courses.html", rows=rows, year=year, orgs=orgs,
                           can_edit=current_user.role in COORDINATORS)


def _course_page(course: Course, report: AttendeeReport | None = None,
                 file_error: str | None = None, status: int = 200) -> ResponseReturnValue:
    dbs = db_session()
    attendees = dbs.scalars(
        select(Responder).join(CourseAttendance, CourseAttendance.responder_id == Responder.id)
        .where(CourseAttendance.course_id == course.id).order_by(Responder.id)).all()
    return render_template(
        "training/course.html", course=course, attendees=attendees, report=report,
        file_error=file_error, show_personal=can_see_personal_data(current_user),
        can_edit=current_user.role in COORDINATORS, today=local_today(),
        is_valid=is_valid), status


@bp.get("/trainings/<int:course_id>")
@login_required
def course_detail(course_id: int) -> ResponseReturnValue:
    return _course_page(get_or_404(Course, course_id))


def _course_form_page(course: Course | None, form: Form, status: int = 200
                      ) -> ResponseReturnValue:
    options = {
        "course_type": [(c, word(COURSE_TYPE_WORDS, c)) for c in COURSE_TYPES],
        "training_base": [(c, word(BASE_WORDS, c)) for c in TRAINING_BASES],
        "outreach_setting": [(c, word(SETTING_WORDS, c)) for c in OUTREACH_SETTINGS],
        "organisation_id": _organisations(),
    }
    return render_template("training/course_form.html", course=course, form=form,
                           options=options), status


_COURSE_FIELDS = ("held_on", "course_type", "training_base", "place", "outreach_setting",
                  "trainer", "organisation_id", "headcount", "notes")


def _typed_course(values: Mapping[str, Any]) -> dict[str, str]:
    return {k: "" if values.get(k) is None else str(values[k]) for k in _COURSE_FIELDS}


@coordinators_form("/trainings/new")
def course_new() -> ResponseReturnValue:
    return _save_course_form(None)


@coordinators_form("/trainings/<int:course_id>/edit")
def course_edit(course_id: int) -> ResponseReturnValue:
    return _save_course_form(get_or_404(Course, course_id))


def _save_course_form(course: Course | None) -> ResponseReturnValue:
    if request.method == "GET":
        start = course_values(course) if course else {"held_on": local_today()}
        return _course_form_page(course, Form(_typed_course(start)))
    form = Form({k: request.form.get(k, "").strip() for k in _COURSE_FIELDS})
    dbs = db_session()
    try:
        saved = save_course(dbs, course, read_course(form.values))
    except TrainingInvalid as invalid:
        dbs.rollback()
        form.show(invalid.errors)
        return _course_form_page(course, form, 400)
    return _done(_("Course saved."), "web.course_detail", course_id=saved.id)


@coordinators_post("/trainings/<int:course_id>/attendees")
def course_import(course_id: int) -> ResponseReturnValue:
    course = get_or_404(Course, course_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _course_page(course, file_error=_("Choose the attendee list file."), status=400)
    data = upload.read(MAX_IMPORT_BYTES + 1)  # one byte more says it is too big
    try:
        rows = read_attendees(data, upload.filename)
    except FormatError as exc:
        # Messages are marked with N_() where they are raised; shown in the user's language.
        return _course_page(course, file_error=_(exc.message, **exc.params), status=400)
    dry_run = request.form.get("dry_run") == "yes"
    dbs = db_session()
    report = import_attendees(dbs, course, rows, now(), _context(), dry_run=dry_run)
    if not dry_run:
        dbs.commit()
    return _course_page(course, report=report)


# --- responders ------------------------------------------------------------------------

@bp.get("/responders")
@login_required
def responder_list() -> ResponseReturnValue:
    dbs = db_session()
    today = local_today()
    personal = can_see_personal_data(current_user)
    query = select(Responder).where(Responder.erased_at.is_(None)).order_by(Responder.id)
    q = request.args.get("q", "").strip()[:100]
    if q:
        like = f"%{q}%"
        matches = [Responder.name.ilike(like)]
        if personal:
            matches += [Responder.phone.ilike(like), Responder.certificate_number.ilike(like)]
        query = query.where(or_(*matches))
    expiring = request.args.get("expiring", "")
    if expiring.isdigit() and int(expiring) <= 3650:
        horizon = date.fromordinal(today.toordinal() + int(expiring))
        query = query.where(valid_sql(today), Responder.certificate_expires_on <= horizon)
    team = request.args.get("team", "")
    if team.isdigit():
        query = query.where(Responder.team_id == int(team))
    rows = dbs.scalars(query.limit(PAGE)).all()
    teams = {t.id: t for t in dbs.scalars(select(Team))}
    return render_template("training/responders.html", rows=rows, teams=teams, q=q,
                           expiring=expiring, team=team, today=today, is_valid=is_valid,
                           show_personal=personal, can_edit=current_user.role in COORDINATORS)


@bp.get("/responders/<int:responder_id>")
@login_required
def responder_detail(responder_id: int) -> ResponseReturnValue:
    responder = get_or_404(Responder, responder_id)
    dbs = db_session()
    courses = dbs.scalars(
        select(Course).join(CourseAttendance, CourseAttendance.course_id == Course.id)
        .where(CourseAttendance.responder_id == responder.id)
        .order_by(Course.held_on.desc())).all()
    links = dbs.execute(
        select(ResponderSite.role, Site).join(Site, Site.id == ResponderSite.site_id)
        .where(ResponderSite.responder_id == responder.id).order_by(Site.id)).all()
    return render_template(
        "training/responder.html", responder=responder, courses=courses, links=links,
        today=local_today(), is_valid=is_valid, show_personal=can_see_personal_data(current_user),
        can_edit=current_user.role in COORDINATORS)


_RESPONDER_FIELDS = ("name", "phone", "organisation_id", "team_id", "certificate_number",
                     "certificate_issued_on", "certificate_expires_on")


def _typed_responder(values: Mapping[str, Any], years: int) -> dict[str, Any]:
    typed: dict[str, Any] = {k: "" if values.get(k) is None else str(values[k])
                             for k in _RESPONDER_FIELDS}
    issued, expires = values.get("certificate_issued_on"), values.get("certificate_expires_on")
    if isinstance(issued, date) and expires == years_after(issued, years):
        typed["certificate_expires_on"] = ""  # the usual years: shown as the default
    sites = list(values.get("sites", ()))
    typed["site_rows"] = len(sites) + SPARE_SITE_ROWS
    for r, served in enumerate(sites):
        typed[f"site-{r}"], typed[f"role-{r}"] = str(served["site_id"]), served["role"]
    return typed


def _posted_responder() -> tuple[dict[str, Any], dict[str, Any], list[int]]:
    """(the form as typed, the values to read, the form row of each station listed)."""
    typed: dict[str, Any] = {k: request.form.get(k, "").strip() for k in _RESPONDER_FIELDS}
    raw = request.form.get("site_rows", "")
    typed["site_rows"] = min(int(raw), MAX_SITE_ROWS) if raw.isdigit() else 0
    sites: list[dict[str, str]] = []
    row_of: list[int] = []
    for r in range(typed["site_rows"]):
        site, role = (request.form.get(f"{part}-{r}", "").strip() for part in ("site", "role"))
        typed[f"site-{r}"], typed[f"role-{r}"] = site, role
        if site:  # a row with no station chosen lists none
            sites.append({"site_id": site, "role": role})
            row_of.append(r)
    return typed, {**{k: typed[k] for k in _RESPONDER_FIELDS}, "sites": sites}, row_of


def _row_errors(errors: Iterable[FieldError], row_of: list[int]) -> list[FieldError]:
    """The errors of "sites.{i}.site_id" / ".role" under the form's names for them."""
    out = []
    for error in errors:
        parts = error.field.split(".")
        if parts[0] == "sites" and len(parts) == 3 and parts[1].isdigit():
            part = "site" if parts[2] == "site_id" else "role"
            error = FieldError(f"{part}-{row_of[int(parts[1])]}", error.message, error.params)
        out.append(error)
    return out


def _responder_form_page(responder: Responder | None, form: Form, status: int = 200
                         ) -> ResponseReturnValue:
    sites = db_session().scalars(
        select(Site).where(Site.retired_at.is_(None)).order_by(Site.name)).all()
    options = {"organisation_id": _organisations(), "team_id": _teams(),
               "site": [(site.id, site.name) for site in sites],
               "role": [(r, word(ROLE_WORDS, r)) for r in SERVICE_ROLES]}
    return render_template(
        "training/responder_form.html", responder=responder, form=form, options=options,
        years=_context().policy.certificate_valid_years), status


@coordinators_form("/responders/new")
def responder_new() -> ResponseReturnValue:
    return _save_responder_form(None)


@coordinators_form("/responders/<int:responder_id>/edit")
def responder_edit(responder_id: int) -> ResponseReturnValue:
    responder = get_or_404(Responder, responder_id)
    if responder.erased_at is not None:
        abort(404)
    return _save_responder_form(responder)


def _save_responder_form(responder: Responder | None) -> ResponseReturnValue:
    ctx = _context()
    years = ctx.policy.certificate_valid_years
    dbs = db_session()
    if request.method == "GET":
        start = (current_values(responder, served_sites(dbs, responder.id)) if responder
                 else {})
        return _responder_form_page(responder, Form(_typed_responder(start, years)))
    typed, values, row_of = _posted_responder()
    form = Form(typed)
    try:
        saved = save_responder(dbs, responder, read_responder(values, years), now(), ctx)
    except TrainingInvalid as invalid:
        dbs.rollback()
        form.show(_row_errors(invalid.errors, row_of))
        return _responder_form_page(responder, form, 400)
    return _done(_("Responder saved."), "web.responder_detail", responder_id=saved.id)


@coordinators_post("/responders/<int:responder_id>/erase")
def responder_erase(responder_id: int) -> ResponseReturnValue:
    responder = get_or_404(Responder, responder_id)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the box to confirm that this person's data is to be erased."), "error")
        return redirect(url_for("web.responder_detail", responder_id=responder.id))
    dbs = db_session()
    erase_responder(dbs, responder, current_user.id, now(), _context())
    return _done(_("The responder's personal data is erased; the programme's counts stay."),
                 "web.responder_detail", responder_id=responder.id)


# --- a site's cover --------------------------------------------------------------------

def site_cover(site: Site) -> Cover | None:
    """What the site page shows of the site's cover (None for a retired site)."""
    return cover_of(db_session(), site.id, local_today(), _context().policy)


@coordinators_form("/sites/<int:site_id>/cover")
def site_cover_form(site_id: int) -> ResponseReturnValue:
    site = get_or_404(Site, site_id)
    ctx = _context()
    default = ctx.policy.minimum_for(site.kind, None)
    form = Form({"min_responders": "" if site.min_responders is None
                 else str(site.min_responders)})
    status = 200
    if request.method == "POST":
        raw = request.form.get("min_responders", "").strip()
        form.values["min_responders"] = raw
        if raw and not (raw.isdigit() and int(raw) <= 1000):
            form.errors["min_responders"] = _("Enter a whole number from 0 to 1000, or "
                                              "leave it empty for the default.")
            status = 400
        else:
            dbs = db_session()
            site.min_responders = int(raw) if raw else None
            check_training(dbs, now(), ctx, site_ids=[site.id])
            return _done(_("Minimum saved."), "web.site_detail", site_id=site.id)
    return render_template("training/cover_form.html", site=site, form=form, default=default,
                           cover=site_cover(site)), status

