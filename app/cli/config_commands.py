"""`flask --app app push-configs`: publish desired gateway configs still waiting."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.extensions import get_db, get_settings
from app.gateways.desired_config import ConfigPublisher, push_pending


@click.command("push-configs")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for PUBACK.")
@with_appcontext
def push_configs(timeout: float) -> None:
    """Publish (retained, QoS 1) every desired config the broker has not confirmed yet."""
    settings = get_settings()
    results = push_pending(get_db(), ConfigPublisher(settings.mqtt_url,
                                                     settings.mqtt_topic_root, timeout))
    for r in results:
        state = "published" if r.published else f"still pending ({r.error})"
        click.echo(f"{r.gateway_id} v{r.version}: {state}")
    if not results:
        click.echo("nothing pending")
    if any(not r.published for r in results):
        raise SystemExit(1)
