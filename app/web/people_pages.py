"""People in the web: accounts (list, new, edit, password reset, deactivate and
reactivate), teams, the organisation tree, and one's own password.

Coordinators and administrators reach these pages (app/people/authority.py says whose
accounts each may manage); everyone reaches their own password page. Every change goes
through an operation of app/people, which checks the input and reports each problem
against its field; the row audit records who changed what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from sqlalchemy import select

from app.alerts.subjects import Name
from app.auth.identity import AuthUser
from app.auth.passwords import MIN_PASSWORD_LENGTH
from app.auth.permissions import can_see_personal_data, ensure, roles_required
from app.auth.safe_redirect import safe_target
from app.extensions import db_session
from app.i18n import LOCALE_NAMES, SUPPORTED_LOCALES, current_locale_code
from app.models import AuditLog, Organisation, Team, User
from app.people.accounts import AccountDraft, create_account, update_account
from app.people.activation import set_active
from app.people.authority import MANAGER_ROLES, Manager, assignable_roles, may_manage_account
from app.people.invalid import PeopleInvalid
from app.people.passwords import change_own_password, reset_password
from app.people.structure import (
    member_counts,
    organisation_choices,
    organisation_tree,
    unplaced_teams,
)
from app.people.teams import TeamDraft, create_team, update_team
from app.web.blueprint import bp
from app.web.common import View, form_page, get_or_404

ROLE_WORDS = {
    "admin": _l("Administrator"),
    "coordinator": _l("Coordinator"),
    "volunteer": _l("Volunteer"),
    "viewer": _l("Viewer (reads only)"),
}
ACCOUNT_FIELDS = ("username", "display_name", "role", "team_id", "email", "phone", "locale")
TEAM_FIELDS = ("code", "name", "name_en", "organisation_id", "leader_name", "contact_phone",
               "contact_email")
manages_people = roles_required(*MANAGER_ROLES)
AccountView = Callable[[User], ResponseReturnValue]


def _manager_form(rule: str) -> Callable[[View], View]:
    """A form page (GET shows it, POST saves it) for coordinators and admins."""
    return form_page(rule, MANAGER_ROLES)


@dataclass
class Form:
    """A form as typed (text by field name) and the error shown beside each field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def posted(cls, names: tuple[str, ...]) -> Form:
        return cls({name: request.form.get(name, "").strip() for name in names})

    @classmethod
    def of(cls, row: object, names: tuple[str, ...]) -> Form:
        values = {name: getattr(row, name, None) for name in names}
        return cls({name: "" if v is None else str(v) for name, v in values.items()})

    def show(self, invalid: PeopleInvalid) -> None:
        for problem in invalid:
            # Messages are marked with N_() in app/people; shown in the reader's language.
            self.errors.setdefault(problem.name, _(problem.message, **problem.params))

    def row_id(self, name: str) -> int | None:
        """A chosen row's id; text that names no row (a tampered form) becomes an id
        that matches none, so the operation reports it against the field."""
        raw = self.values.get(name, "")
        if not raw:
            return None
        return int(raw) if raw.isdigit() and len(raw) <= 9 else -1


def _manager() -> Manager:
    return Manager.of(current_user)


def name_in_locale(row: Team | Organisation | None) -> str:
    return Name(row.name, row.name_en).in_(current_locale_code()) if row else ""


def _labels() -> dict[str, Any]:
    return {"role_word": lambda role: ROLE_WORDS.get(role, role), "name_of": name_in_locale}


def _page(template: str, status: int = 200, **context: Any) -> ResponseReturnValue:
    return render_template(f"people/{template}", **_labels(), **context), status


def _saved(text: str, endpoint: str, **values: Any) -> ResponseReturnValue:
    db_session().commit()
    flash(text, "success")
    return redirect(url_for(endpoint, **values))


def _typed_twice(form: Form, name: str, differ: str) -> str:
    """A new password as typed; ``differ`` is the error beside its confirmation when that
    is not the same."""
    value = request.form.get(name, "")
    if value != request.form.get(f"{name}_confirm", ""):
        form.errors[f"{name}_confirm"] = differ
    return value


def _not_saved() -> None:
    db_session().rollback()
    flash(_("Nothing was saved yet: please correct the marked fields."), "error")


# --- accounts ---------------------------------------------------------------------------


@bp.get("/people")
@login_required
@manages_people
def people_list() -> ResponseReturnValue:
    accounts = db_session().scalars(
        select(User).order_by(User.active.desc(), User.username)).all()
    manager = _manager()
    return _page("people.html", accounts=accounts,
                 manageable={a.id for a in accounts if may_manage_account(manager, a)},
                 show_personal=can_see_personal_data(current_user),
                 may_create=bool(assignable_roles(manager)))


def _account_form(form: Form, account: User | None, status: int = 200) -> ResponseReturnValue:
    teams = db_session().scalars(select(Team).order_by(Team.id)).all()
    return _page(
        "account_form.html", status, form=form, account=account,
        role_options=[(role, ROLE_WORDS[role]) for role in assignable_roles(_manager())],
        team_options=[(team.id, _team_label(team)) for team in teams],
        locale_options=[(code, LOCALE_NAMES[code]) for code in SUPPORTED_LOCALES],
        history=_history(account) if account else [])


def _team_label(team: Team) -> str:
    branch = name_in_locale(team.organisation)
    return f"{name_in_locale(team)} · {branch}" if branch else name_in_locale(team)


def _draft(form: Form) -> AccountDraft:
    values = form.values
    return AccountDraft(display_name=values.get("display_name", ""),
                        role=values.get("role", ""), team_id=form.row_id("team_id"),
                        email=values.get("email"), phone=values.get("phone"),
                        locale=values.get("locale", "zh_CN"))


def _history(account: User) -> list[AuditLog]:
    return list(db_session().scalars(
        select(AuditLog).where(AuditLog.entity_type == "user_account",
                               AuditLog.entity_id == str(account.id))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(15)))


@_manager_form("/people/new")
def person_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _account_form(Form({"locale": "zh_CN"}), None)
    form = Form.posted(ACCOUNT_FIELDS)
    password = _typed_twice(form, "password", _("The two passwords differ."))
    try:
        account = create_account(db_session(), _manager(), form.values["username"],
                                 _draft(form), password)
    except PeopleInvalid as invalid:
        form.show(invalid)
        account = None
    if account is None or form.errors:
        _not_saved()
        return _account_form(form, None, 400)
    return _saved(_("Account %(name)s created. Give the person the password yourself; "
                    "they choose their own when they first log in.", name=account.username),
                  "web.people_list")


def _account_page(action: str) -> Callable[[AccountView], View]:
    """A page (GET shows it, POST acts) about an account this manager may manage: 404
    for no such account, 403 for one they may not manage."""

    def register(view: AccountView) -> View:
        @wraps(view)
        def page(user_id: int) -> ResponseReturnValue:
            account = get_or_404(User, user_id)
            ensure(may_manage_account(_manager(), account))
            return view(account)

        return _manager_form(f"/people/<int:user_id>/{action}")(page)

    return register


@_account_page("edit")
def person_edit(account: User) -> ResponseReturnValue:
    if request.method == "GET":
        return _account_form(Form.of(account, ACCOUNT_FIELDS), account)
    form = Form.posted(ACCOUNT_FIELDS)
    form.values["username"] = account.username
    try:
        changed = update_account(db_session(), _manager(), account, _draft(form))
    except PeopleInvalid as invalid:
        form.show(invalid)
        _not_saved()
        return _account_form(form, account, 400)
    text = _("Account %(name)s saved.", name=account.username) if changed else _(
        "Nothing changed.")
    return _saved(text, "web.people_list")


@_account_page("password")
def person_password(account: User) -> ResponseReturnValue:
    form = Form()
    if request.method == "POST":
        password = _typed_twice(form, "password", _("The two passwords differ."))
        try:
            if not form.errors:
                reset_password(db_session(), _manager(), account, password)
        except PeopleInvalid as invalid:
            form.show(invalid)
        if not form.errors:
            return _saved(_("New password set for %(name)s: they are logged out everywhere "
                            "and choose their own password when they next log in.",
                            name=account.username), "web.people_list")
        _not_saved()
    return _page("reset_password.html", 400 if form.errors else 200, form=form,
                 account=account)


@_account_page("active")
def person_active(account: User) -> ResponseReturnValue:
    """Deactivate or reactivate, after a page that says what will happen."""
    if request.method == "GET":
        return _page("confirm_active.html", account=account)
    active = request.form.get("active") == "1"
    changed = set_active(db_session(), _manager(), account, active)
    if not changed:
        text = _("Nothing changed.")
    elif active:
        text = _("%(name)s can log in again.", name=account.username)
    else:
        text = _("%(name)s is deactivated: their sessions and API token have ended.",
                 name=account.username)
    return _saved(text, "web.people_list")


# --- teams and organisations ------------------------------------------------------------


@bp.get("/teams")
@login_required
@manages_people
def team_list() -> ResponseReturnValue:
    dbs = db_session()
    teams = dbs.scalars(select(Team).order_by(Team.id)).all()
    return _page("teams.html", teams=teams, members=member_counts(dbs),
                 show_personal=can_see_personal_data(current_user))


def _team_form(form: Form, team: Team | None, status: int = 200) -> ResponseReturnValue:
    return _page("team_form.html", status, form=form, team=team,
                 organisations=organisation_choices(db_session()))


def _team_draft(form: Form) -> TeamDraft:
    values = form.values
    return TeamDraft(name=values.get("name", ""), organisation_id=form.row_id("organisation_id"),
                     name_en=values.get("name_en"), leader_name=values.get("leader_name"),
                     contact_phone=values.get("contact_phone"),
                     contact_email=values.get("contact_email"))


def _save_team(form: Form, team: Team | None,
               write: Callable[[TeamDraft], Team | bool]) -> ResponseReturnValue:
    try:
        outcome = write(_team_draft(form))
    except PeopleInvalid as invalid:
        form.show(invalid)
        _not_saved()
        return _team_form(form, team, 400)
    saved = outcome if isinstance(outcome, Team) else team
    assert saved is not None
    text = _("Nothing changed.") if outcome is False else _(
        "Team %(name)s saved.", name=name_in_locale(saved))
    return _saved(text, "web.team_list")


@_manager_form("/teams/new")
def team_new() -> ResponseReturnValue:
    if request.method == "GET":
        return _team_form(Form(), None)
    form = Form.posted(TEAM_FIELDS)
    return _save_team(form, None, lambda draft: create_team(
        db_session(), _manager(), form.values["code"], draft))


@_manager_form("/teams/<int:team_id>/edit")
def team_edit(team_id: int) -> ResponseReturnValue:
    team = get_or_404(Team, team_id)
    if request.method == "GET":
        return _team_form(Form.of(team, TEAM_FIELDS), team)
    form = Form.posted(TEAM_FIELDS)
    form.values["code"] = team.code
    return _save_team(form, team, lambda draft: update_team(db_session(), _manager(), team,
                                                            draft))


@bp.get("/organisations")
@login_required
@manages_people
def organisation_list() -> ResponseReturnValue:
    dbs = db_session()
    return _page("organisations.html", roots=organisation_tree(dbs),
                 unplaced=unplaced_teams(dbs))


# --- one's own password -----------------------------------------------------------------


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def account_password() -> ResponseReturnValue:
    next_url = request.values.get("next", "")
    form = Form()
    if request.method == "POST":
        new = _typed_twice(form, "new_password", _("The two new passwords differ."))
        dbs = db_session()
        account = dbs.get(User, current_user.id)
        assert account is not None  # the session was just loaded from it
        try:
            if not form.errors:
                change_own_password(dbs, account, request.form.get("current_password", ""),
                                    new)
        except PeopleInvalid as invalid:
            form.show(invalid)
        if not form.errors:
            dbs.commit()
            # Every other session has ended; this one carries the new epoch.
            login_user(AuthUser.of(account))
            flash(_("Your password is changed. Other devices are logged out."), "success")
            return redirect(safe_target(next_url, url_for("web.dashboard")))
        _not_saved()
    return _page("own_password.html", 400 if form.errors else 200, form=form,
                 next=next_url, must_change=current_user.must_change_password,
                 min_length=MIN_PASSWORD_LENGTH)
