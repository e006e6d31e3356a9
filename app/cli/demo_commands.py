from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.demo.seed import DemoRefused
from app.demo.seed import seed_demo as seed
from app.extensions import get_aed_context, get_db
from app.models import utcnow


@click.command("seed-demo", help="Load the Yangpu riverside demo (safe to run twice).")
@click.option("--force", is_flag=True,
              help="Load it even though the database holds real accounts.")
@click.option("--password", default=None, hidden=True,
              help="One known password for every demo account (tests, scripted demos).")
@with_appcontext
def seed_demo(force: bool, password: str | None) -> None:
    # DEMO_PASSWORD is our own key, given only by a test or script's config overrides.
    password = password or current_app.config.get("DEMO_PASSWORD")
    try:
        with get_db().session() as session:
            result = seed(session, utcnow(), get_aed_context(),
                          password=password, force=force)
    except DemoRefused as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from None
    if not result.created:
        click.echo("demo already present; nothing changed")
        return
    click.echo(
        f"demo loaded: {result.organisations} branches, {result.sites} sites, "
        f"{result.aeds} AEDs, {result.gateways} gateways"
    )
    if result.passwords and not password:
        click.echo("demo logins (shown only now; change with `flask --app app user passwd`):")
        for line in result.login_lines():
            click.echo(line)
