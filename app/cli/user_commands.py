"""`flask --app app user add|token|passwd|list`: real accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.auth.passwords import PasswordPolicyError, hash_password
from app.auth.tokens import issue_token, revoke_token
from app.extensions import db_session
from app.models import ROLES, Team, User


def _cli_session() -> Session:
    session = db_session()
    audit.attach_actor(session, audit.Actor(None, "cli"))
    return session


def _account(session: Session, username: str) -> User:
    account = session.scalar(select(User).where(User.username == username))
    if account is None:
        raise click.ClickException(f"no user {username!r}")
    return account


def _password_hash(password: str) -> str:
    try:
        return hash_password(password)
    except PasswordPolicyError as exc:
        raise click.ClickException(str(exc)) from None


@click.group("user")
def user() -> None:
    """Manage user accounts."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--team", "team_code", default=None, help="Team code (volunteers need one).")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.option("--locale", type=click.Choice(["zh_CN", "en"]), default="zh_CN")
@click.password_option(help="Prompted for if not given.")
@with_appcontext
def add_user(username: str, role: str, team_code: str | None, display_name: str | None,
             locale: str, password: str) -> None:
    """Create an account; the password is hashed with scrypt."""
    session = _cli_session()
    if session.scalar(select(User).where(User.username == username)):
        raise click.ClickException(f"user {username!r} already exists")
    team = None
    if team_code:
        team = session.scalar(select(Team).where(Team.code == team_code))
        if team is None:
            codes = ", ".join(session.scalars(select(Team.code)).all()) or "none"
            raise click.ClickException(f"unknown team {team_code!r} (known: {codes})")
    if role == "volunteer" and team is None:
        raise click.ClickException("a volunteer needs --team (they act on their team's sites)")
    session.add(User(username=username, display_name=display_name or username, role=role,
                     team=team, password_hash=_password_hash(password), locale=locale,
                     active=True))
    session.commit()
    click.echo(f"created {role} {username}" + (f" in team {team_code}" if team_code else ""))


@user.command("passwd")
@click.argument("username")
@click.password_option()
@with_appcontext
def set_password(username: str, password: str) -> None:
    """Change a password; every existing session of the user ends."""
    session = _cli_session()
    account = _account(session, username)
    account.password_hash = _password_hash(password)
    account.session_epoch += 1
    session.commit()
    click.echo(f"password changed for {username}")


@user.command("token")
@click.argument("username")
@with_appcontext
def new_token(username: str) -> None:
    """Issue an API token (replaces the old one); printed once."""
    session = _cli_session()
    account = _account(session, username)
    token = issue_token(session, account)
    session.commit()
    click.echo(token)


@user.command("revoke-token")
@click.argument("username")
@with_appcontext
def drop_token(username: str) -> None:
    """End the user's API token now (a lost phone, a leaked script)."""
    session = _cli_session()
    account = _account(session, username)
    revoke_token(account)
    session.commit()
    click.echo(f"API token of {username} revoked")


@user.command("list")
@with_appcontext
def list_users() -> None:
    for account in db_session().scalars(select(User).order_by(User.username)):
        team = account.team.code if account.team else "-"
        click.echo(f"{account.username}\t{account.role}\t{team}\t"
                   f"{'active' if account.active else 'disabled'}")
