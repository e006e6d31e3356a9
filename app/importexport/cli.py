"""`flask --app app import sites|assets FILE [--dry-run]` and `flask --app app export ...`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from app import audit
from app.extensions import db_session, get_aed_context, get_settings
from app.importexport.exporter import export_text
from app.importexport.formats import MAX_IMPORT_BYTES, FormatError, detect_format, read_rows
from app.importexport.importer import import_rows
from app.models import utcnow

KINDS = click.Choice(["sites", "assets"])
FORMATS = click.Choice(["csv", "geojson"])


class ImportFileError(click.ClickException):
    """A file that cannot be read at all: one line on stderr and exit status 2, as for a
    usage error (1 means some lines had errors)."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def read_import_file(path: Path) -> bytes:
    """The file's bytes, one more than the limit at most (so that it shows as too big)."""
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_IMPORT_BYTES + 1)
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot read the file: {exc.strerror or exc}") from None


def read_file_rows(kind: str, path: Path, fmt: str) -> list[tuple[int, dict[str, object]]]:
    data = read_import_file(path)
    try:
        return read_rows(data, kind, fmt)
    except FormatError as exc:
        raise ImportFileError(f"{path}: {exc}") from None


@click.command("import")
@click.argument("kind", type=KINDS)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=FORMATS, default=None, help="Default: from the file name.")
@click.option("--dry-run", is_flag=True, help="Check every line, change nothing.")
@with_appcontext
def import_command(kind: str, path: Path, fmt: str | None, dry_run: bool) -> None:
    """Import sites or assets from CSV or GeoJSON (upsert by external_id).

    Assets not known by external_id are matched to registered ones (source links, then
    position and a compatible name or ref): matched ones are not created; conflicting
    ones are listed and left out.
    """
    fmt = fmt or detect_format(path.name)
    rows = read_file_rows(kind, path, fmt)
    session = db_session()
    audit.attach_actor(session, audit.Actor(None, "cli"))
    with click.progressbar(length=len(rows), label=f"importing {kind}",
                           file=sys.stderr) as bar:
        report = import_rows(session, kind, rows, utcnow(), get_aed_context(),
                             dry_run=dry_run, progress=bar.update,
                             match_radius_m=get_settings().import_match_radius_m)
    if not dry_run:
        session.commit()
    for line, message in report.errors:
        click.echo(f"{path.name}:{line}: {message}", err=True)
    for line, message in report.warnings:
        click.echo(f"{path.name}:{line}: warning: {message}", err=True)
    for p in report.listed():
        if p.outcome != "new":
            which = f" {p.external_id}" if p.external_id else ""
            click.echo(f"{path.name}:{p.line}: {p.outcome}{which}: {p.reason}")
    verb = "would import" if dry_run else "imported"
    click.echo(f"{verb} {report.ok} {kind} ({report.created} new, {report.updated} updated, "
               f"{report.unchanged} unchanged); {len(report.errors)} lines with errors")
    if report.matched or report.conflicts:
        click.echo(f"{report.matched} matched to registered {kind} (not created); "
                   f"{len(report.conflicts)} conflicting, left out")
    if report.errors or report.conflicts:
        raise SystemExit(1)


@click.command("export")
@click.argument("kind", type=KINDS)
@click.option("--format", "fmt", type=FORMATS, default="csv")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--include-fictional", is_flag=True,
              help="Include demo (fictional) sites, which are left out by default.")
@with_appcontext
def export_command(kind: str, fmt: str, output: Path | None, include_fictional: bool) -> None:
    """Export sites or assets as CSV or GeoJSON (OSM tags)."""
    text = export_text(db_session(), kind, fmt, include_fictional)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
