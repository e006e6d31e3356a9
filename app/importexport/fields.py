"""The columns of site and asset files, and what a row's cells mean to the registry's one
validator (app/registry/rules.py): the rules are written once there, for the web forms
and the API too; here a row becomes the validator's input, and its problems one line of
the import report ("lat must be between -90 and 90; name is required")."""

from __future__ import annotations

from typing import Any

from app.registry import rules

SITE_COLUMNS = ("external_id", "name", "name_en", "kind", "address", "lat", "lon",
                "opening_hours", "team_code", "contact_name", "contact_phone")
ASSET_COLUMNS = ("external_id", "site_external_id", "kind", "name", "name_en", "lat", "lon",
                 "manufacturer", "model", "serial", "pad_expiry", "battery_expiry", "cabinet",
                 "access_hours", "indoor", "public")
#: Asset columns a file may add (the export leaves them out): applied only when the file
#: has the column, so a file without them changes none of them.
ASSET_EXTRA_COLUMNS = ("level", "cabinet_en", "install_date", "paediatric_pads",
                       "paediatric_pad_expiry", "guardian_name", "guardian_phone")
#: Asset fields every row sets (a missing cell empties the field, as it always did).
_ASSET_BASE = tuple(c for c in ASSET_COLUMNS if c != "site_external_id")
_SITE_BASE = tuple(c for c in SITE_COLUMNS if c != "team_code")
class RowError(ValueError):
    pass


class RowProblem(dict[str, Any]):
    """A row the file format already found wrong (more cells than the header, a feature
    that is not an object...): the importer reports `reason` for its line."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


def row_error(invalid: rules.RegistryInvalid) -> RowError:
    """The validator's problems as the import report writes them, in one line."""
    return RowError("; ".join(e.sentence for e in invalid.errors))


def check_problem(row: dict[str, Any]) -> None:
    if isinstance(row, RowProblem):
        raise RowError(row.reason)


def reference(row: dict[str, Any], column: str) -> str:
    """A required reference cell (an external id): its text, or RowError."""
    try:
        return str(rules.check_text(column, row.get(column), rules.MAX_EXTERNAL_ID,
                                    required=True))
    except rules.RegistryInvalid as invalid:
        raise row_error(invalid) from None


def team_code(row: dict[str, Any]) -> str | None:
    try:
        return rules.check_text("team_code", row.get("team_code"), 64)
    except rules.RegistryInvalid as invalid:
        raise row_error(invalid) from None


def site_values(row: dict[str, Any]) -> dict[str, Any]:
    """The row's site fields, as the validator takes them (a missing cell is empty)."""
    check_problem(row)
    return {name: row.get(name) for name in _SITE_BASE}


def asset_values(row: dict[str, Any]) -> dict[str, Any]:
    """The row's asset fields, as the validator takes them: every column of the export
    (a missing cell is empty), and the extra columns the file has."""
    check_problem(row)
    values = {name: row.get(name) for name in _ASSET_BASE}
    values.update({name: row[name] for name in ASSET_EXTRA_COLUMNS if name in row})
    return values
