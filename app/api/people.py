"""Accounts, teams and organisations: coordinators and administrators read them (token
or session) and change them (token), through the operations of app/people."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any, TypeVar

from flask.typing import ResponseReturnValue
from pydantic import BaseModel
from sqlalchemy import or_, select

from app.api.access import Access, caller
from app.api.blueprint import api
from app.api.listing import Rows, page_of, where_given
from app.api.problems import forbidden, not_found, unprocessable
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
                 422: "A field is wrong (named in invalid-params); nothing was changed"}
Row = TypeVar("Row", bound=Base)


def _manager() -> Manager:
    user = caller()
    if not may_manage_people(user):
        raise forbidden(_MANAGERS_ONLY)
    return Manager.of(user)


def _hidden(personal: frozenset[str]) -> frozenset[str]:
    return frozenset() if can_see_personal_data(caller()) else personal


def _one(model: type[Row], ident: int, noun: str) -> Row:
    row = db_session().get(model, ident)
    if row is None:
        raise not_found(noun)
    return row


@contextmanager
def _operation() -> Iterator[None]:
    """Commit what the operation did, or answer its refusal with nothing changed."""
    dbs = db_session()
    try:
        yield
    except PeopleInvalid as invalid:
        dbs.rollback()
        raise unprocessable([InvalidParam(name=p.name, reason=p.text)
                             for p in invalid]) from None
    except NotAllowed as refused:
        dbs.rollback()
        raise forbidden(str(refused).capitalize() + ".") from None
    dbs.commit()


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


@api.get("/users", summary="List accounts", query=UserQuery, reply=UserPage,
         errors=_READ_ERRORS)
def list_users(query: UserQuery) -> ResponseReturnValue:
    rows = select(UserRow).order_by(UserRow.id)
    rows = where_given(rows, [(UserRow.role, query.role), (UserRow.team_id, query.team_id),
                              (UserRow.active, query.active)])
    if query.q:
        like = f"%{query.q}%"
        rows = rows.where(or_(UserRow.username.ilike(like), UserRow.display_name.ilike(like)))
    return _listed(UserPage, rows, query, user_body, ACCOUNT_PERSONAL)


@api.get("/users/<int:user_id>", summary="One account", path=UserRef, reply=User,
         errors=_READ_ERRORS)
def get_user(user_id: int) -> ResponseReturnValue:
    _manager()
    return _user_reply(_one(UserRow, user_id, "user"))


@api.post("/users", summary="Create an account", body=NewUser, reply=User, status=201,
          access=Access.COORDINATOR, errors=_WRITE_ERRORS,
          description="Its owner must choose their own password at the first login.")
def create_user(body: NewUser) -> ResponseReturnValue:
    by = _manager()
    with _operation():
        account = accounts.create_account(db_session(), by, body.username, _draft(body),
                                          body.password)
    return _user_reply(account, 201)


def _managed(user_id: int, act: Callable[[Manager, UserRow], object]) -> ResponseReturnValue:
    by = _manager()
    account = _one(UserRow, user_id, "user")
    with _operation():
        act(by, account)
    return _user_reply(account)


@api.route("patch", "/users/<int:user_id>", summary="Change an account", path=UserRef,
           body=UserChange, reply=User, access=Access.COORDINATOR,
           errors={**_WRITE_ERRORS, 404: "No such user"})
def update_user(user_id: int, body: UserChange) -> ResponseReturnValue:
    return _managed(user_id, lambda by, account: accounts.update_account(
        db_session(), by, account, _draft(body, account)))


@api.post("/users/<int:user_id>/password", summary="Reset an account's password",
          path=UserRef, body=PasswordReset, reply=User, access=Access.COORDINATOR,
          errors={**_WRITE_ERRORS, 404: "No such user"},
          description="Every session of the account ends now; its owner must choose their "
          "own password at the next login. Its API token stays.")
def reset_user_password(user_id: int, body: PasswordReset) -> ResponseReturnValue:
    return _managed(user_id, lambda by, account: passwords.reset_password(
        db_session(), by, account, body.password))


@api.post("/users/<int:user_id>/deactivate", summary="Deactivate an account", path=UserRef,
          reply=User, access=Access.COORDINATOR,
          errors={403: _WRITE_ERRORS[403], 404: "No such user"},
          description="Its sessions and its API token end at once; nothing is deleted.")
def deactivate_user(user_id: int) -> ResponseReturnValue:
    return _managed(user_id, lambda by, account: activation.set_active(
        db_session(), by, account, False))


@api.post("/users/<int:user_id>/reactivate", summary="Reactivate an account", path=UserRef,
          reply=User, access=Access.COORDINATOR,
          errors={403: _WRITE_ERRORS[403], 404: "No such user"},
          description="Its owner may log in again; an API token must be issued anew.")
def reactivate_user(user_id: int) -> ResponseReturnValue:
    return _managed(user_id, lambda by, account: activation.set_active(
        db_session(), by, account, True))


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


@api.get("/teams", summary="List teams", query=TeamQuery, reply=TeamPage,
         errors=_READ_ERRORS)
def list_teams(query: TeamQuery) -> ResponseReturnValue:
    rows = where_given(select(TeamRow).order_by(TeamRow.id),
                       [(TeamRow.organisation_id, query.organisation_id)])
    return _listed(TeamPage, rows, query, _team_bodies(), TEAM_PERSONAL)


@api.get("/teams/<int:team_id>", summary="One team", path=TeamRef, reply=Team,
         errors=_READ_ERRORS)
def get_team(team_id: int) -> ResponseReturnValue:
    _manager()
    return _team_reply(_one(TeamRow, team_id, "team"))


@api.post("/teams", summary="Create a team", body=NewTeam, reply=Team, status=201,
          access=Access.COORDINATOR, errors=_WRITE_ERRORS)
def create_team(body: NewTeam) -> ResponseReturnValue:
    by = _manager()
    with _operation():
        team = teams.create_team(db_session(), by, body.code, _team_draft(body))
    return _team_reply(team, 201)


@api.route("patch", "/teams/<int:team_id>", summary="Change a team", path=TeamRef,
           body=TeamChange, reply=Team, access=Access.COORDINATOR,
           errors={**_WRITE_ERRORS, 404: "No such team"})
def update_team(team_id: int, body: TeamChange) -> ResponseReturnValue:
    by = _manager()
    team = _one(TeamRow, team_id, "team")
    with _operation():
        teams.update_team(db_session(), by, team, _team_draft(body, team))
    return _team_reply(team)


def organisation_body(org: OrganisationRow) -> Organisation:
    return Organisation(id=org.id, code=org.code, name=org.name, name_en=org.name_en,
                        level=org.level, parent_id=org.parent_id)


@api.get("/organisations", summary="List organisations (the district and its branches)",
         query=PageQuery, reply=OrganisationPage, errors=_READ_ERRORS)
def list_organisations(query: PageQuery) -> ResponseReturnValue:
    _manager()
    rows = select(OrganisationRow).order_by(OrganisationRow.id)
    return json_reply(page_of(OrganisationPage, db_session(), rows, query, organisation_body))
