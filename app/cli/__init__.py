"""CLI commands on the app: `flask --app app <command>`."""

from __future__ import annotations

from flask import Flask

from app.cli import db_commands, demo_commands, ingest_commands, scheduler_commands, user_commands
from app.cli.config_commands import push_configs
from app.cli.gateway_commands import gateway as gateway_group
from app.importexport import cli as importexport_cli
from app.training.cli import training


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_commands.db)
    app.cli.add_command(demo_commands.seed_demo)
    app.cli.add_command(user_commands.user)
    app.cli.add_command(push_configs)
    app.cli.add_command(importexport_cli.import_command)
    app.cli.add_command(importexport_cli.export_command)
    app.cli.add_command(scheduler_commands.scheduler)
    app.cli.add_command(scheduler_commands.jobs)
    app.cli.add_command(ingest_commands.ingest_cmd)
    app.cli.add_command(gateway_group)
    app.cli.add_command(training)
