"""Accounts, teams and organisations: coordinators and administrators read them (token
or session) and change them (token), through the operations of app/people."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, TypeVar

from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from sqlalchemy import or_, select

from app.api.access import Access, caller
from app.api.blueprint import api
from app.api.listing import Rows, page_of, where_given
from app.api.problems import forbidden, unprocessable
from app.api.registry import View
from app.api.registry_writes import WRITE_ERRORS, found
from app.api.replies import json_reply
from app.api.schemas.common import Page, PageQuery
from app.api.schemas.people import (
    ACCOUNT_PERSONAL,
    TEAM_PERSONAL,
    NewTeam,
    NewUser,
    Organisation,
    OrganisationPage,
    PasswordReset,
    Team,
    TeamChange,
    TeamPage,
    TeamQuery,
    TeamRef,
    User,
    UserChange,
    UserPage,
    UserQuery,
    UserRef,
)
from app.api.schemas.problem import InvalidParam
from app.auth.permissions import can_see_personal_data
from app.extensions import db_session
from app.models import Organisation as OrganisationRow
from app.models import Team as TeamRow
from app.models import User as UserRow
from app.models.base import Base
from app.people import accounts, activation, passwords, teams
from app.people.authority import Manager, may_manage_people
from app.people.invalid import NotAllowed, PeopleInvalid
from app.people.structure import member_counts

_MANAGERS_ONLY = "Only coordinators and administrators may see or change people."
_READ_ERRORS = {403: "Not a coordinator or an administrator"}
_WRITE_ERRORS = {403: "An account this caller may not manage, or a role it may not give",
                 **WRITE_ERRORS}
#: A change without a body has no field to be wrong.
_BODILESS_ERRORS = {403: _WRITE_ERRORS[403]}
Row = TypeVar("Row", bound=Base)


def _read(rule: str, summary: str, **declared: Any) -> Callable[[View], View]:
    """A route that reads people, documented as refused (403) to all but coordinators
    and administrators: its handler asks ``_manager`` (or ``_listed`` does)."""
    return api.get(rule, summary=summary, errors=_READ_ERRORS, **declared)


def _write(method: str, rule: str, summary: str, **declared: Any) -> Callable[[View], View]:
    """A route that changes people, with a coordinator's or an administrator's token;
    its problems are ``_WRITE_ERRORS`` unless it says others."""
    declared.setdefault("errors", _WRITE_ERRORS)
    return api.route(method, rule, summary=summary, access=Access.COORDINATOR, **declared)


def _manager() -> Manager:
    user = caller()
    if not may_manage_people(user):
        raise forbidden(_MANAGERS_ONLY)
    return Manager.of(user)


def _hidden(personal: frozenset[str]) -> frozenset[str]:
    return frozenset() if can_see_personal_data(caller()) else personal


def _one(model: type[Row], ident: int, noun: str) -> Row:
    return found(db_session().get(model, ident), noun)


def _managed(act: Callable[[Manager], Row], reply: Callable[[Row, int], ResponseReturnValue],
             status: int = 200) -> ResponseReturnValue:
    """The caller's operation as a manager, committed and answered with the row it made
    or changed; its refusal answered with nothing changed."""
    by = _manager()
    dbs = db_session()
    try:
        row = act(by)
    except PeopleInvalid as invalid:
        dbs.rollback()
        raise unprocessable([InvalidParam(name=p.name, reason=p.text)
                             for p in invalid]) from None
    except NotAllowed as refused:
        dbs.rollback()
        raise forbidden(str(refused).capitalize() + ".") from None
    dbs.commit()
    return reply(row, status)


def _changed(model: type[Row], ident: int, noun: str, act: Callable[[Manager, Row], object],
             reply: Callable[[Row, int], ResponseReturnValue]) -> ResponseReturnValue:
    """``act`` on one row (404 when there is none), answered with the row."""
    def run(by: Manager) -> Row:
        row = _one(model, ident, noun)
        act(by, row)
        return row

    return _managed(run, reply)


def _listed(shape: type[Page[Any]], rows: Rows, query: PageQuery,
            body: Callable[..., BaseModel], personal: frozenset[str]) -> ResponseReturnValue:
    """One page of rows, without the personal members for a caller who may not see them."""
    _manager()
    page = page_of(shape, db_session(), rows, query, body)
    hidden = _hidden(personal)
    return json_reply(page, exclude={"items": {"__all__": hidden}} if hidden else None)


def _given(body: BaseModel, current: Any) -> dict[str, Any]:
    """The draft fields of ``current`` with the members the body gave."""
    values = {f.name: getattr(current, f.name) for f in fields(current)}
    values.update({name: getattr(body, name) for name in body.model_fields_set
                   if name in values})
    return values


# --- accounts ---------------------------------------------------------------------------


def user_body(account: UserRow) -> User:
    return User(
        id=account.id, username=account.username, display_name=account.display_name,
        role=account.role, team_id=account.team_id, email=account.email,
        phone=account.phone, locale=account.locale, active=account.active,
        must_change_password=account.must_change_password,
        has_api_token=account.api_token_hash is not None, created_at=account.created_at,
    )


def _user_reply(account: UserRow, status: int = 200) -> ResponseReturnValue:
    return json_reply(user_body(account), status, exclude=_hidden(ACCOUNT_PERSONAL) or None)


def _draft(body: BaseModel, account: UserRow | None = None) -> accounts.AccountDraft:
    current = accounts.AccountDraft.of(account) if account else accounts.AccountDraft("", "")
    values = _given(body, current)
    values["display_name"] = values["display_name"] or ""
    values["role"] = values["role"] or ""
    values["locale"] = values["locale"] or "zh_CN"
    return accounts.AccountDraft(**values)


@_read("/users", "List accounts", query=UserQuery, reply=UserPage)
def list_users(query: UserQuery) -> ResponseReturnValue:
    rows = select(UserRow).order_by(UserRow.id)
    rows = where_given(rows, [(UserRow.role, query.role), (UserRow.team_id, query.team_id),
                              (UserRow.active, query.active)])
    if query.q:
        like = f"%{query.q}%"
        rows = rows.where(or_(UserRow.username.ilike(like), UserRow.display_name.ilike(like)))
    return _listed(UserPage, rows, query, user_body, ACCOUNT_PERSONAL)


@_read("/users/<int:user_id>", "One account", path=UserRef, reply=User)
def get_user(user_id: int) -> ResponseReturnValue:
    _manager()
    return _user_reply(_one(UserRow, user_id, "user"))


@_write("post", "/users", "Create an account", body=NewUser, reply=User, status=201,
        description="Its owner must choose their own password at the first login.")
def create_user(body: NewUser) -> ResponseReturnValue:
    return _managed(lambda by: accounts.create_account(
        db_session(), by, body.username, _draft(body), body.password), _user_reply, 201)


def _account(user_id: int, act: Callable[[Manager, UserRow], object]) -> ResponseReturnValue:
    return _changed(UserRow, user_id, "user", act, _user_reply)


def _account_action(action: str, summary: str, description: str,
                    **more: Any) -> Callable[[View], View]:
    """A POST to one account (a 404 names the user), answered with the account."""
    return _write("post", f"/users/<int:user_id>/{action}", summary, path=UserRef,
                  reply=User, description=description, **more)


@_write("patch", "/users/<int:user_id>", "Change an account", path=UserRef,
        body=UserChange, reply=User)
def update_user(user_id: int, body: UserChange) -> ResponseReturnValue:
    return _account(user_id, lambda by, account: accounts.update_account(
        db_session(), by, account, _draft(body, account)))


@_account_action("password", "Reset an account's password", (
    "Every session of the account ends now; its owner must choose their own password at "
    "the next login. Its API token stays."), body=PasswordReset)
def reset_user_password(user_id: int, body: PasswordReset) -> ResponseReturnValue:
    return _account(user_id, lambda by, account: passwords.reset_password(
        db_session(), by, account, body.password))


def _set_active(user_id: int, active: bool) -> ResponseReturnValue:
    return _account(user_id, lambda by, account: activation.set_active(
        db_session(), by, account, active))


@_account_action("deactivate", "Deactivate an account",
                 "Its sessions and its API token end at once; nothing is deleted.",
                 errors=_BODILESS_ERRORS)
def deactivate_user(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, False)


@_account_action("reactivate", "Reactivate an account",
                 "Its owner may log in again; an API token must be issued anew.",
                 errors=_BODILESS_ERRORS)
def reactivate_user(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, True)


# --- teams and organisations ------------------------------------------------------------


def _team_bodies() -> Callable[[TeamRow], Team]:
    members = member_counts(db_session())

    def body(team: TeamRow) -> Team:
        return Team(id=team.id, code=team.code, name=team.name, name_en=team.name_en,
                    organisation_id=team.organisation_id, leader_name=team.leader_name,
                    contact_phone=team.contact_phone, contact_email=team.contact_email,
                    members=members.get(team.id, 0))

    return body


def _team_reply(team: TeamRow, status: int = 200) -> ResponseReturnValue:
    return json_reply(_team_bodies()(team), status, exclude=_hidden(TEAM_PERSONAL) or None)


def _team_draft(body: BaseModel, team: TeamRow | None = None) -> teams.TeamDraft:
    current = teams.TeamDraft.of(team) if team else teams.TeamDraft("", None)
    values = _given(body, current)
    values["name"] = values["name"] or ""
    return teams.TeamDraft(**values)


@_read("/teams", "List teams", query=TeamQuery, reply=TeamPage)
def list_teams(query: TeamQuery) -> ResponseReturnValue:
    rows = where_given(select(TeamRow).order_by(TeamRow.id),
                       [(TeamRow.organisation_id, query.organisation_id)])
    return _listed(TeamPage, rows, query, _team_bodies(), TEAM_PERSONAL)


@_read("/teams/<int:team_id>", "One team", path=TeamRef, reply=Team)
def get_team(team_id: int) -> ResponseReturnValue:
    _manager()
    return _team_reply(_one(TeamRow, team_id, "team"))


@_write("post", "/teams", "Create a team", body=NewTeam, reply=Team, status=201)
def create_team(body: NewTeam) -> ResponseReturnValue:
    return _managed(lambda by: teams.create_team(db_session(), by, body.code,
                                                 _team_draft(body)), _team_reply, 201)


@_write("patch", "/teams/<int:team_id>", "Change a team", path=TeamRef, body=TeamChange,
        reply=Team)
def update_team(team_id: int, body: TeamChange) -> ResponseReturnValue:
    return _changed(TeamRow, team_id, "team", lambda by, team: teams.update_team(
        db_session(), by, team, _team_draft(body, team)), _team_reply)


def organisation_body(org: OrganisationRow) -> Organisation:
    return Organisation(id=org.id, code=org.code, name=org.name, name_en=org.name_en,
                        level=org.level, parent_id=org.parent_id)


@_read("/organisations", "List organisations (the district and its branches)",
       query=PageQuery, reply=OrganisationPage)
def list_organisations(query: PageQuery) -> ResponseReturnValue:
    _manager()
    rows = select(OrganisationRow).order_by(OrganisationRow.id)
    return json_reply(page_of(OrganisationPage, db_session(), rows, query, organisation_body))
