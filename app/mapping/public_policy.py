"""What an anonymous client may see of an asset or a site: one policy for every public
surface (the public map and its data, the assets API, nearest, the public asset list).

An asset is public when it is marked public; a public client then sees where it is,
what it is called, whether it is ready and when it opens, and nothing that identifies
the device or the people behind it (serial, guardians, contacts, maintenance). Sites
show their place and hours, never their contacts or notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_

from app.models import Asset

#: Fields of an asset's API body that a public client receives.
PUBLIC_ASSET_FIELDS = frozenset({
    "id", "external_id", "kind", "name", "name_en", "site", "lat", "lon", "status",
    "pad_expiry", "battery_expiry", "last_inspection_at", "access_hours", "indoor",
    "cabinet", "monitored",
})
#: Fields of a site (also the ``site`` object inside an asset) a public client receives.
PUBLIC_SITE_FIELDS = frozenset({
    "id", "external_id", "name", "name_en", "kind", "address", "lat", "lon",
    "opening_hours",
})

#: Map layers a public client gets: AEDs and first-aid stations, never gateways.
PUBLIC_MAP_KINDS = ("aed", "station")


def public_asset_clause() -> ColumnElement[bool]:
    """The SQL condition for assets a public client may see at all (a retired one is
    never shown)."""
    return and_(Asset.public.is_(True), Asset.retired_at.is_(None))


def asset_is_public(asset: Asset) -> bool:
    return bool(asset.public) and asset.retired_at is None


def public_site_body(body: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k in PUBLIC_SITE_FIELDS}


def public_asset_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """An asset's API body cut to what the public may see."""
    out = {k: v for k, v in body.items() if k in PUBLIC_ASSET_FIELDS}
    if isinstance(out.get("site"), Mapping):
        out["site"] = public_site_body(out["site"])
    return out
