"""Upsert sites and assets by external id: per-line errors, dry run, idempotent.

Every good row is applied even when others are bad; bad rows are reported with their
line number and reason. Re-importing the same file changes nothing (rows whose values
already match count as unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.aeds.refresh import AedContext, refresh_aeds
from app.importexport.fields import RowError, parse_asset, parse_site
from app.models import Asset, Site, Team

BATCH = 500


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "dry_run": self.dry_run, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged,
                "errors": [{"line": line, "error": msg} for line, msg in self.errors]}


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def import_rows(
    session: Session,
    kind: str,
    rows: Iterable[tuple[int, dict[str, Any]]],
    now: datetime,
    ctx: AedContext,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Apply rows; the caller commits (or, for a dry run, this rolls back)."""
    if kind not in {"sites", "assets"}:
        raise ValueError(f"unknown kind {kind!r}")
    report = ImportReport(kind=kind, dry_run=dry_run)
    # One summary audit entry instead of one per row (10,000-row files).
    audit.suspend_row_audit(session)
    teams = {t.code: t.id for t in session.scalars(select(Team))}
    sites = {s.external_id: s for s in session.scalars(select(Site))}
    assets = {a.external_id: a for a in session.scalars(select(Asset))} if kind == "assets" else {}
    touched: list[Asset] = []
    seen: set[str] = set()
    pending = 0
    for line, raw in rows:
        if progress is not None:
            progress(1)
        try:
            if kind == "sites":
                values = parse_site(raw)
                team_code = values.pop("team_code")
                if team_code is not None and team_code not in teams:
                    raise RowError(f"unknown team_code {team_code!r}")
                values["team_id"] = teams.get(team_code) if team_code else None
                key = values["external_id"]
                if key in seen:
                    raise RowError(f"external_id {key!r} appears twice in this file")
                existing_site = sites.get(key)
                if existing_site is None:
                    site = Site(**values)
                    session.add(site)
                    sites[key] = site
                    report.created += 1
                elif _apply(existing_site, values):
                    report.updated += 1
                else:
                    report.unchanged += 1
            else:
                values = parse_asset(raw)
                site_key = values.pop("site_external_id")
                site_row = sites.get(site_key)
                if site_row is None:
                    raise RowError(f"unknown site_external_id {site_key!r}")
                key = values["external_id"]
                if key in seen:
                    raise RowError(f"external_id {key!r} appears twice in this file")
                existing_asset = assets.get(key)
                if existing_asset is None:
                    asset = Asset(site=site_row, **values)
                    session.add(asset)
                    assets[key] = asset
                    touched.append(asset)
                    report.created += 1
                elif _apply(existing_asset, {**values, "site_id": site_row.id}):
                    touched.append(existing_asset)
                    report.updated += 1
                else:
                    report.unchanged += 1
            seen.add(key)
        except RowError as exc:
            report.errors.append((line, str(exc)))
            continue
        pending += 1
        if pending >= BATCH:
            session.flush()
            pending = 0
    session.flush()
    if touched:
        refresh_aeds(session, [a.id for a in touched], now, ctx)
    audit.suspend_row_audit(session, False)
    if dry_run:
        session.rollback()
    else:
        audit.record(session, "import", kind, "*", None, {
            "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "errors": len(report.errors),
        })
    return report
