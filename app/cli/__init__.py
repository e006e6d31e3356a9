"""CLI commands on the app: `flask --app app <command>`."""

from __future__ import annotations

from flask import Flask

from app.cli import db_commands, demo_commands


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_commands.db)
    app.cli.add_command(demo_commands.seed_demo)
