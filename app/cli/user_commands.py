"""`flask --app app user add|passwd|token|revoke-token|list`: accounts from the command
line, through the same operations as the web pages (app/people), acting as the
installation's operator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.auth.tokens import issue_token, revoke_token
from app.extensions import db_session
from app.models import ROLES, Team, User
from app.people.accounts import AccountDraft, create_account
from app.people.authority import COMMAND_LINE
from app.people.invalid import PeopleInvalid
from app.people.passwords import reset_password

#: How this command names the fields the operations report problems with.
_OPTION_OF = {"username": "USERNAME", "display_name": "--name", "role": "--role",
              "team_id": "--team", "locale": "--locale", "password": "password"}
_TEMPORARY = click.option(
    "--temporary", is_flag=True,
    help="The person must choose their own password at their next login.")


def _cli_session() -> Session:
    session = db_session()
    audit.attach_actor(session, COMMAND_LINE.actor)
    return session


def _account(session: Session, username: str) -> User:
    account = session.scalar(select(User).where(User.username == username))
    if account is None:
        raise click.ClickException(f"no user {username!r}")
    return account


def _refused(invalid: PeopleInvalid) -> click.ClickException:
    return click.ClickException("; ".join(
        f"{_OPTION_OF.get(p.name, p.name)}: {p.text}" for p in invalid))


@contextmanager
def _committed(session: Session) -> Iterator[None]:
    """Commit what the operation did, or exit with its problems named as options."""
    try:
        yield
    except PeopleInvalid as invalid:
        raise _refused(invalid) from None
    session.commit()


@contextmanager
def _changing(username: str) -> Iterator[tuple[Session, User]]:
    """The named account, committed once the change is made."""
    session = _cli_session()
    with _committed(session):
        yield session, _account(session, username)


@click.group("user")
def user() -> None:
    """Manage user accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--team", "team_code", default=None, help="Team code (volunteers need one).")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--locale", type=click.Choice(["zh_CN", "en"]), default="zh_CN")
@_TEMPORARY
@click.password_option(help="Prompted for if not given.")
@with_appcontext
def add_user(username: str, role: str, team_code: str | None, display_name: str | None,
             locale: str, temporary: bool, password: str) -> None:
    """Create an account; the password is hashed with scrypt."""
    session = _cli_session()
    team = None
    if team_code:
        team = session.scalar(select(Team).where(Team.code == team_code))
        if team is None:
            codes = ", ".join(session.scalars(select(Team.code)).all()) or "none"
            raise click.ClickException(f"unknown team {team_code!r} (known: {codes})")
    draft = AccountDraft(display_name=display_name or username, role=role,
                         team_id=team.id if team else None, locale=locale)
    with _committed(session):
        create_account(session, COMMAND_LINE, username, draft, password,
                       must_change=temporary)
    click.echo(f"created {role} {username}" + (f" in team {team_code}" if team_code else ""))


@user.command("passwd")
@click.argument("username")
@_TEMPORARY
@click.password_option()
@with_appcontext
def set_password(username: str, temporary: bool, password: str) -> None:
    """Change a password; every existing session of the user ends."""
    with _changing(username) as (session, account):
        reset_password(session, COMMAND_LINE, account, password, must_change=temporary)
    click.echo(f"password changed for {username}")


@user.command("token")
@click.argument("username")
@with_appcontext
def new_token(username: str) -> None:
    """Issue an API token (replaces the old one); printed once."""
    with _changing(username) as (session, account):
        token = issue_token(session, account)
    click.echo(token)


@user.command("revoke-token")
@click.argument("username")
@with_appcontext
def drop_token(username: str) -> None:
    """End the user's API token now (a lost phone, a leaked script)."""
    with _changing(username) as (_, account):
        revoke_token(account)
    click.echo(f"API token of {username} revoked")


@user.command("list")
@with_appcontext
def list_users() -> None:
    for account in db_session().scalars(select(User).order_by(User.username)):
        team = account.team.code if account.team else "-"
        state = "active" if account.active else "disabled"
        if account.active and account.must_change_password:
            state += " (must change password)"
        click.echo(f"{account.username}\t{account.role}\t{team}\t{state}")
