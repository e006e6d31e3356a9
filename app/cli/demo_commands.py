from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.extensions import get_db, get_settings
from app.models import utcnow
from app.services.demo_seed import seed_demo as seed


@click.command("seed-demo", help="Load the Yangpu riverside demo (safe to run twice).")
@with_appcontext
def seed_demo() -> None:
    settings = get_settings()
    with get_db().session() as session:
        result = seed(session, utcnow(), settings.readiness, settings.tz)
    if result.created:
        click.echo(
            f"demo loaded: {result.organisations} branches, {result.sites} sites, "
            f"{result.aeds} AEDs, {result.gateways} gateways"
        )
    else:
        click.echo("demo already present; nothing changed")
