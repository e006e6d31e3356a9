from __future__ import annotations

import click
from flask.cli import AppGroup

from app import migrate
from app.extensions import get_db

db = AppGroup("db", help="Database migrations.")


@db.command("upgrade", help="Migrate the database to the latest schema.")
@click.option("--revision", default="head", show_default=True)
def upgrade_cmd(revision: str) -> None:
    migrate.upgrade(get_db().engine, revision)
    click.echo(f"database at {migrate.current_revision(get_db().engine)}")


@db.command("check", help="Fail if the models and migrations disagree.")
def check_cmd() -> None:
    diffs = migrate.drift(get_db().engine)
    if diffs:
        for d in diffs:
            click.echo(f"drift: {d}", err=True)
        raise SystemExit(1)
    click.echo("no drift")


@db.command("revision", help="Autogenerate a new migration from model changes.")
@click.option("-m", "--message", required=True)
def revision_cmd(message: str) -> None:
    migrate.revision(get_db().engine, message)
