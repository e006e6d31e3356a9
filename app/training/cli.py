"""`flask --app app training import COURSE_ID FILE [--dry-run]`: a course's attendee list
from the command line, through the same importer as the web upload; `flask --app app
training seed-demo`: the demo's courses and responders, over a loaded demo."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from app import audit
from app.demo.training import seed_training
from app.demo.yangpu import DISTRICT
from app.extensions import db_session, get_settings
from app.importexport.cli import ImportFileError, read_import_file
from app.importexport.formats import FormatError
from app.models import Course, Organisation, utcnow
from app.training.attendee_files import read_attendees
from app.training.attendees import import_attendees
from app.training.policy import training_policy
from app.training.refresh import TrainingContext


@click.group("training")
def training() -> None:
    """The training programme: courses and their attendees."""


@training.command("import")
@click.argument("course_id", type=int)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every line, change nothing.")
@with_appcontext
def import_command(course_id: int, path: Path, dry_run: bool) -> None:
    """Import a course's attendee list (CSV or .xlsx): people matched by certificate
    number or phone, never recorded twice."""
    session = db_session()
    course = session.get(Course, course_id)
    if course is None:
        raise click.ClickException(f"there is no course {course_id}")
    try:
        rows = read_attendees(read_import_file(path), path.name)
    except FormatError as exc:
        raise ImportFileError(f"{path}: {exc}") from None
    audit.attach_actor(session, audit.Actor(None, "cli"))
    settings = get_settings()
    ctx = TrainingContext(training_policy(settings), settings.tz)
    report = import_attendees(session, course, rows, utcnow(), ctx, dry_run=dry_run)
    if not dry_run:
        session.commit()
    for error in report.errors:
        click.echo(f"{path.name}:{error.line}: {error.text}", err=True)
    verb = "would import" if dry_run else "imported"
    click.echo(f"{verb} {report.ok} attendees ({report.created} new, {report.updated} "
               f"updated, {report.unchanged} unchanged); {len(report.errors)} lines with "
               "errors")
    if report.errors:
        raise SystemExit(1)


@training.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Add the demo's courses and responders (after `flask seed-demo`); harmless twice."""
    session = db_session()
    if session.scalar(select(Organisation.id).where(Organisation.code == DISTRICT[0])) is None:
        raise click.ClickException("load the demo first: flask --app app seed-demo")
    audit.attach_actor(session, audit.Actor(None, "cli"))
    settings = get_settings()
    added = seed_training(session, utcnow(), TrainingContext(training_policy(settings),
                                                             settings.tz))
    session.commit()
    click.echo(f"added {added} demo responders" if added
               else "the demo's training is already loaded")
