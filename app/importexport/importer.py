"""Upsert sites and assets by external id: per-line errors, dry run, idempotent.

Each row goes through the registry's one validator (app/registry/rules.py), as a web
form or an API call does: the same rules, one line of the report per bad row. Every good
row is applied even when others are bad; bad rows are reported with their line number
and reason. A row whose access hours are not understood is imported (the hours kept as
typed, shown as unknown) and named among the report's warnings. Re-importing the same
file changes nothing (rows whose values already match count as unchanged).

An asset row whose external id we do not know is first matched against the registered
assets (app/importexport/matching.py): by a source link kept from an earlier import,
else by position and a compatible name or ref. A matched row is not created: it changes
the registered asset only where the source is newer than our record (its `check_date`
or edit time after our last change) and only in the fields it has, and its links are
kept. Conflicting rows (two registered AEDs fit, or one fits two rows) are listed and
not applied. A new row without a site reference goes to the nearest registered site
within the match radius; an OSM record without `ref` is named after its element
("osm-node-123").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import audit
from app.aeds.refresh import AedContext, refresh_aeds
from app.importexport.fields import (
    RowError,
    asset_values,
    reference,
    row_error,
    site_values,
    team_code,
)
from app.importexport.matching import OSM_KEY, Incoming, Known, Match, Matcher, PointGrid
from app.models import Asset, AssetSourceRef, Site, Team
from app.registry import rules
from app.registry.operations import asset_record, site_record

BATCH = 500
#: What a matched or new asset row came to, as a dry run lists it.
PROPOSAL_OUTCOMES = ("new", "matched", "changed", "conflict")


@dataclass(frozen=True)
class Proposal:
    """An asset row not found by external id: created (new), found as a registered asset
    and kept (matched) or changed, or left out (conflict)."""

    line: int
    outcome: str
    #: The registered asset's external id (new: the one created), if any.
    external_id: str = ""
    distance_m: float | None = None
    reason: str = ""


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    #: Lines imported with a remark (access hours not understood: kept, shown unknown).
    warnings: list[tuple[int, str]] = field(default_factory=list)
    #: Asset rows matched to a registered asset instead of created (also counted as
    #: updated or unchanged).
    matched: int = 0
    #: Rows left out because they fit more than one registered asset, or one twice.
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return self.created + self.updated + self.unchanged

    def listed(self) -> list[Proposal]:
        """The proposals a person reads: matched, changed and conflicting rows first."""
        return sorted(self.proposals, key=lambda p: (p.outcome == "new", p.line))

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "dry_run": self.dry_run, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged,
                "matched": self.matched,
                "errors": [{"line": line, "error": msg} for line, msg in self.errors],
                "warnings": [{"line": line, "warning": msg} for line, msg in self.warnings],
                "conflicts": [{"line": line, "conflict": msg} for line, msg in self.conflicts],
                "proposals": [{"line": p.line, "outcome": p.outcome, "external_id": p.external_id,
                               "distance_m": p.distance_m, "reason": p.reason}
                              for p in self.proposals]}


def _apply(obj: Any, values: Mapping[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _checked_site(values: dict[str, Any], existing: Site | None
                  ) -> rules.Checked[rules.SiteRecord]:
    raw = rules.with_changes(site_record(existing), values) if existing else values
    try:
        return rules.check_site(raw)
    except rules.RegistryInvalid as invalid:
        raise row_error(invalid) from None


def _checked_asset(values: dict[str, Any], existing: Asset | None, ctx: AedContext,
                   now: datetime) -> rules.Checked[rules.AssetRecord]:
    raw = rules.with_changes(asset_record(existing), values) if existing else values
    try:
        return rules.check_asset(raw, now.astimezone(ctx.tz).date())
    except rules.RegistryInvalid as invalid:
        raise row_error(invalid) from None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _incoming(raw: dict[str, Any], values: dict[str, Any]) -> Incoming | None:
    """The row as matching sees it; None when it has no usable position (the validator
    then says what is wrong with it)."""
    lat, lon = _number(values.get("lat")), _number(values.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Incoming(kind=_text(values.get("kind")) or "aed", lat=lat, lon=lon,
                    name=_text(values.get("name")), name_en=_text(values.get("name_en")),
                    ref=_text(raw.get("external_id")), links=_links(raw))


def _source_is_newer(raw: dict[str, Any], ours: datetime | None) -> bool:
    """Whether the source confirmed its record after our last change (a date counts from
    its start, UTC, so a tie keeps ours); without a date ours are kept."""
    text = raw.get("source_date")
    if not isinstance(text, str):
        return False
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return ours is None or when > ours


def _links(raw: dict[str, Any]) -> dict[str, str]:
    links = raw.get("links")
    return links if isinstance(links, dict) else {}


def _foreign_key(raw: dict[str, Any]) -> str:
    """An external id for a new record from another registry without `ref`."""
    element = _links(raw).get(OSM_KEY)
    return "osm-" + element.replace("/", "-") if isinstance(element, str) else ""


def _known(asset: Asset) -> Known:
    return Known(id=asset.id, external_id=asset.external_id, kind=asset.kind, name=asset.name,
                 name_en=asset.name_en or "", lat=asset.lat, lon=asset.lon,
                 retired=asset.retired_at is not None)


def import_rows(
    session: Session,
    kind: str,
    rows: Iterable[tuple[int, dict[str, Any]]],
    now: datetime,
    ctx: AedContext,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    match_radius_m: float = 50.0,
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
    by_id = {a.id: a for a in assets.values()}
    matcher = Matcher((_known(a) for a in assets.values()),
                      session.execute(select(AssetSourceRef.key, AssetSourceRef.value,
                                             AssetSourceRef.asset_id)).all()
                      if kind == "assets" else (), match_radius_m)
    site_grid = PointGrid(((s.lat, s.lon, s) for s in sites.values() if s.retired_at is None),
                          match_radius_m)
    new_links: list[tuple[Asset, dict[str, str]]] = []
    link_lines: dict[tuple[str, str], int] = {}
    touched: list[Asset] = []
    seen: set[str] = set()
    pending = 0
    remarks: tuple[rules.FieldError, ...]
    for line, raw in rows:
        if progress is not None:
            progress(1)
        try:
            if kind == "sites":
                values = site_values(raw)
                key = reference(raw, "external_id")
                code = team_code(raw)
                existing_site = sites.get(key)
                checked_site = _checked_site(values, existing_site)
                if code is not None and code not in teams:
                    raise RowError(f"unknown team_code {code!r}")
                if key in seen:
                    raise RowError(f"external_id {key!r} appears twice in this file")
                fields = {**rules.record_values(checked_site.record),
                          "team_id": teams.get(code) if code else None}
                if existing_site is None:
                    site = Site(**fields)
                    session.add(site)
                    sites[key] = site
                    report.created += 1
                elif _apply(existing_site, fields):
                    report.updated += 1
                else:
                    report.unchanged += 1
                remarks = checked_site.warnings
            else:
                values = asset_values(raw)
                links = _links(raw)
                twice = next((link_lines[item] for item in links.items() if item in link_lines),
                             None)
                if twice is not None:
                    raise RowError(f"the same source record is on line {twice} too")
                ext = _text(raw.get("external_id"))
                # A row without a site reference is another registry's record: found by
                # its links or position and merged, never a wholesale replacement.
                foreign = not _text(raw.get("site_external_id"))
                existing_asset = assets.get(ext) if ext else None
                found: Match | None = None
                if existing_asset is not None and foreign:
                    found = Match("matched", _known(existing_asset), None, f"ref {ext}")
                elif existing_asset is None:
                    incoming = _incoming(raw, values)
                    found = matcher.match(incoming) if incoming is not None else None
                if found is not None and found.outcome == "conflict":
                    report.conflicts.append((line, found.reason))
                    report.proposals.append(Proposal(
                        line, "conflict", found.known.external_id if found.known else "",
                        found.distance_m, found.reason))
                    continue
                if found is not None and found.known is not None:
                    asset = by_id[found.known.id]
                    key = asset.external_id
                    remarks = ()
                    outcome, reason = "matched", found.reason + "; ours is newer: kept"
                    if _source_is_newer(raw, asset.updated_at):
                        reason = found.reason + "; the source is newer"
                        changes = {k: v for k, v in values.items()
                                   if k != "external_id" and v is not None and v != ""}
                        checked_match = _checked_asset(changes, asset, ctx, now)
                        if _apply(asset, rules.record_values(checked_match.record)):
                            touched.append(asset)
                            outcome = "changed"
                        remarks = checked_match.warnings
                    report.matched += 1
                    if outcome == "changed":
                        report.updated += 1
                    else:
                        report.unchanged += 1
                    report.proposals.append(Proposal(line, outcome, key, found.distance_m, reason))
                    new_links.append((asset, links))
                else:
                    key = reference({"external_id": ext or _foreign_key(raw)}, "external_id")
                    values["external_id"] = key
                    existing_asset = assets.get(key)
                    checked_asset = _checked_asset(values, existing_asset, ctx, now)
                    if foreign and existing_asset is None:
                        site_row = _nearest_site(site_grid, checked_asset.record, match_radius_m)
                    else:
                        site_key = reference(raw, "site_external_id")
                        named_site = sites.get(site_key)
                        if named_site is None:
                            raise RowError(f"unknown site_external_id {site_key!r}")
                        site_row = named_site
                    if site_row.retired_at is not None and existing_asset is None:
                        raise RowError(f"site_external_id {site_row.external_id!r} names a "
                                       "retired site")
                    if key in seen:
                        raise RowError(f"external_id {key!r} appears twice in this file")
                    fields = rules.record_values(checked_asset.record)
                    if existing_asset is None:
                        asset = Asset(site=site_row, **fields)
                        session.add(asset)
                        assets[key] = asset
                        touched.append(asset)
                        report.created += 1
                        report.proposals.append(Proposal(line, "new", key))
                        new_links.append((asset, links))
                    elif _apply(existing_asset, {**fields, "site_id": site_row.id}):
                        touched.append(existing_asset)
                        report.updated += 1
                    else:
                        report.unchanged += 1
                    remarks = checked_asset.warnings
                link_lines.update(dict.fromkeys(links.items(), line))
            seen.add(key)
        except RowError as exc:
            report.errors.append((line, str(exc)))
            continue
        report.warnings += [(line, w.sentence) for w in remarks]
        pending += 1
        if pending >= BATCH:
            session.flush()
            pending = 0
    session.flush()
    _keep_links(session, matcher, new_links)
    if touched:
        refresh_aeds(session, [a.id for a in touched], now, ctx)
    audit.suspend_row_audit(session, False)
    if dry_run:
        session.rollback()
    else:
        audit.record(session, "import", kind, "*", None, {
            "created": report.created, "updated": report.updated,
            "unchanged": report.unchanged, "errors": len(report.errors),
            "matched": report.matched, "conflicts": len(report.conflicts),
        })
    return report


def _nearest_site(grid: PointGrid[Site], record: rules.AssetRecord, radius_m: float) -> Site:
    near = grid.within(record.lat, record.lon, radius_m)
    if not near:
        raise RowError(f"no site_external_id, and no registered site within {radius_m:.0f} m "
                       "to put it at: register the site first or name it (aed:site_ref)")
    return near[0][1]


def _keep_links(session: Session, matcher: Matcher,
                new_links: list[tuple[Asset, dict[str, str]]]) -> None:
    """Store the source links rows brought (a link already kept stays with its asset)."""
    added = False
    for asset, links in new_links:
        for key, value in links.items():
            if not matcher.known_link(key, value):
                session.add(AssetSourceRef(asset_id=asset.id, key=key, value=value))
                matcher.remember_link(key, value, asset.id)
                added = True
    if added:
        session.flush()
