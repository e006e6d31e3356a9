"""Create, edit and retire sites, AEDs and first-aid kits: what the web forms and the API
run (the import upserts many rows at once through the same rules, app.registry.rules).

Each operation works in the caller's transaction and the caller commits:
1. the fields go through the one validator (an edit: the whole record it makes);
2. references are checked here: the asset's site (existing, not retired), the site's
   team, the device an AED is bound to ("gateway/device", not held by another AED in
   service), and that no other row has the external id; every problem is reported at
   once (:class:`~app.registry.rules.RegistryInvalid`);
3. an AED whose readiness inputs changed (dates, position, hours, site, device) is
   evaluated again at once (app.aeds.refresh), so its status and alerts follow before
   the commit; changed pad or battery dates of a monitored AED go to its device's state
   and its gateway's desired config, as a replacement's do (pushed after the commit:
   ``Outcome.gateway_ids``);
4. the session's audit hook records each changed row with the session's actor;
   retirement adds an explicit entry with its reason.

Retiring keeps the row and its history: the asset leaves the maps, worklists, nearest
and the evaluation (``retired_at`` is set; see app/aeds/facts.py and app/mapping), and
its open alerts are resolved with the reason ("retired: 设备报废", which the alert's
page and the resolution message put in the reader's words: app/alerts/texts.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import audit
from app.aeds.refresh import NEVER, AedContext, refresh_aeds
from app.alerts import lifecycle
from app.alerts.catalogue import ACTIVE_STATES
from app.alerts.texts import RETIRED
from app.gateways.desired_config import bump_desired_config
from app.models import (
    Alert,
    Asset,
    Device,
    DeviceState,
    Gateway,
    ParLevel,
    RestockTask,
    Site,
    StockLot,
    Team,
)
from app.registry.rules import (
    ASSET_RULES,
    AssetRecord,
    FieldError,
    RegistryInvalid,
    SiteRecord,
    changed,
    check_asset,
    check_retire_reason,
    check_site,
    record_values,
    with_changes,
)

#: Longest resolution an alert holds (its column).
MAX_RESOLUTION = 200
#: What the AED alerts of an asset that stopped being an AED are resolved with.
NOT_AN_AED = "no longer an AED"
MAX_ID = 2**31 - 1


class AlreadyRetired(ValueError):
    """The asset or site was retired before (at ``retired_at``)."""

    def __init__(self, what: str, retired_at: datetime | None) -> None:
        super().__init__(f"this {what} was retired on "
                         f"{retired_at.date().isoformat() if retired_at else '?'}")
        self.retired_at = retired_at


@dataclass
class Outcome:
    """What an operation did."""

    created: bool = False
    #: field -> (old, new), references included ("site_id", "team_id", "device").
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    warnings: tuple[FieldError, ...] = ()
    #: The AED was evaluated again (its status and alerts follow the change).
    refreshed: bool = False
    #: Gateways whose desired config changed: push it after the commit.
    gateway_ids: list[str] = field(default_factory=list)
    #: Alerts resolved by the operation.
    resolved: list[Alert] = field(default_factory=list)


Row = TypeVar("Row", Site, Asset)


@dataclass(frozen=True)
class Done(Generic[Row]):
    """The site or asset an operation made or changed, and what it did."""

    row: Row
    outcome: Outcome


# --- records of rows ------------------------------------------------------------------

def site_record(site: Site) -> SiteRecord:
    return SiteRecord(
        external_id=site.external_id, name=site.name, name_en=site.name_en, kind=site.kind,
        address=site.address, lat=site.lat, lon=site.lon, opening_hours=site.opening_hours,
        contact_name=site.contact_name, contact_phone=site.contact_phone)


def asset_record(asset: Asset) -> AssetRecord:
    return AssetRecord(
        external_id=asset.external_id, kind=asset.kind, name=asset.name,
        name_en=asset.name_en, lat=asset.lat, lon=asset.lon, indoor=bool(asset.indoor),
        level=asset.level, cabinet=asset.cabinet, cabinet_en=asset.cabinet_en,
        access_hours=asset.access_hours, public=bool(asset.public),
        guardian_name=asset.guardian_name, guardian_phone=asset.guardian_phone,
        manufacturer=asset.manufacturer, model=asset.model, serial=asset.serial,
        install_date=asset.install_date, pad_expiry=asset.pad_expiry,
        battery_expiry=asset.battery_expiry, paediatric_pads=bool(asset.paediatric_pads),
        paediatric_pad_expiry=asset.paediatric_pad_expiry)


def device_ref(device: Device | None) -> str | None:
    """How the registry names a device: "gateway/device"."""
    return f"{device.gateway_id}/{device.device_id}" if device is not None else None


# --- references ---------------------------------------------------------------------

def _id(name: str, raw: Any, errors: list[FieldError], required: bool) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors.append(FieldError(name, "required", "is required"))
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    else:
        errors.append(FieldError(name, "not_id", "must be a whole number"))
        return None
    if not 1 <= value <= MAX_ID:
        errors.append(FieldError(name, "unknown", "names nothing"))
        return None
    return value


def _site(session: Session, raw: Any, errors: list[FieldError]) -> Site | None:
    site_id = _id("site_id", raw, errors, required=True)
    if site_id is None:
        return None
    site = session.get(Site, site_id)
    if site is None:
        errors.append(FieldError("site_id", "unknown_site", "names no site"))
    elif site.retired_at is not None:
        errors.append(FieldError("site_id", "site_retired", "names a retired site"))
        return None
    return site


def _team(session: Session, raw: Any, errors: list[FieldError]) -> int | None:
    team_id = _id("team_id", raw, errors, required=False)
    if team_id is not None and session.get(Team, team_id) is None:
        errors.append(FieldError("team_id", "unknown_team", "names no team"))
        return None
    return team_id


_NO_DEVICE = object()


def _device(session: Session, raw: Any, asset: Asset | None,
            errors: list[FieldError]) -> Device | object | None:
    """The device named "gateway/device" (None: unbound), or _NO_DEVICE after an error."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str) or raw.strip().count("/") != 1:
        errors.append(FieldError("device", "not_device_ref",
                                 "must name a device as gateway/device, e.g. gw-yp-001/cab-1"))
        return _NO_DEVICE
    gateway_id, device_id = (p.strip() for p in raw.strip().split("/"))
    device = session.scalar(select(Device).where(Device.gateway_id == gateway_id,
                                                 Device.device_id == device_id))
    if device is None:
        errors.append(FieldError("device", "unknown_device", "names no device"))
        return _NO_DEVICE
    holder = session.scalar(select(Asset).where(Asset.device_pk == device.id))
    if holder is not None and holder is not asset and holder.retired_at is None:
        errors.append(FieldError("device", "device_taken",
                                 "is bound to another asset (%(other)s)",
                                 {"other": holder.external_id}))
        return _NO_DEVICE
    return device


def _external_id(raw: Mapping[str, Any], checked: Any) -> str | None:
    """The external id to look for: the checked one, else (to report every problem at
    once) the one sent, when it is text."""
    if checked is not None:
        return str(checked.record.external_id)
    value = raw.get("external_id")
    return value.strip() or None if isinstance(value, str) else None


def _external_id_taken(session: Session, model: type[Site] | type[Asset],
                       external_id: str | None, own_id: int | None) -> bool:
    if external_id is None:
        return False
    stmt = select(model.id).where(model.external_id == external_id)
    if own_id is not None:
        stmt = stmt.where(model.id != own_id)
    return session.scalar(stmt.limit(1)) is not None


def _taken(what: str) -> FieldError:
    return FieldError("external_id", "taken", "is already used by another %(what)s",
                      {"what": what})


def _checked(check: Any, *args: Any) -> tuple[Any, list[FieldError]]:
    try:
        return check(*args), []
    except RegistryInvalid as invalid:
        return None, list(invalid.errors)


# --- sites ----------------------------------------------------------------------------

def create_site(session: Session, values: Mapping[str, Any]) -> Done[Site]:
    """A new site from ``values`` (its fields, and ``team_id``); without an external id
    it gets one."""
    raw = dict(values)
    if _blank(raw.get("external_id")):
        raw["external_id"] = new_external_id(session, Site, "site")
    checked, errors = _checked(check_site, raw)
    team_id = _team(session, values.get("team_id"), errors)
    if _external_id_taken(session, Site, _external_id(raw, checked), None):
        errors.append(_taken("site"))
    if errors:
        raise RegistryInvalid(errors)
    site = Site(**record_values(checked.record), team_id=team_id)
    session.add(site)
    session.flush()
    return Done(site, Outcome(created=True, warnings=checked.warnings))


def edit_site(session: Session, site: Site, changes: Mapping[str, Any], now: datetime,
              ctx: AedContext) -> Done[Site]:
    """Change the fields named in ``changes`` (and ``team_id`` when named). A retired
    site is refused."""
    if site.retired_at is not None:
        raise AlreadyRetired("site", site.retired_at)
    before = site_record(site)
    checked, errors = _checked(check_site, with_changes(before, changes))
    team_id = _team(session, changes["team_id"], errors) if "team_id" in changes else site.team_id
    if _external_id_taken(session, Site, _external_id(changes, checked), site.id):
        errors.append(_taken("site"))
    if errors:
        raise RegistryInvalid(errors)
    diff = changed(before, checked.record)
    for name, (_old, new) in diff.items():
        setattr(site, name, new)
    if team_id != site.team_id:
        diff["team_id"] = (site.team_id, team_id)
        site.team_id = team_id
    session.flush()
    outcome = Outcome(changes=diff, warnings=checked.warnings)
    if diff.keys() & {"name", "name_en"}:
        # Every asset's list entry names its site: the lists' data version must move.
        session.execute(update(Asset).where(Asset.site_id == site.id).values(updated_at=now))
    if diff:
        # Its AEDs take the site's hours, name and branch: their answers and public
        # records follow the site.
        aeds = list(session.scalars(select(Asset.id).where(
            Asset.site_id == site.id, Asset.kind == "aed", Asset.retired_at.is_(None))))
        if aeds:
            refresh_aeds(session, aeds, now, ctx)
            outcome.refreshed = True
    return Done(site, outcome)


def retire_site(session: Session, site: Site, reason: Any, now: datetime, ctx: AedContext,
                user_id: int | None) -> Done[Site]:
    """Close a site for good: its assets in service are retired with it, its stock
    targets go (the audit log keeps them), its open restock task is cancelled and its
    open alerts are resolved. A station that still holds supplies is refused: they are
    taken out on its restock page first."""
    text = check_retire_reason(reason)
    if site.retired_at is not None:
        raise AlreadyRetired("site", site.retired_at)
    held = session.scalar(select(func.count(StockLot.id)).where(
        StockLot.site_id == site.id, StockLot.quantity > 0))
    if held:
        raise RegistryInvalid([FieldError(
            "reason", "stock_left",
            "cannot be accepted yet: the station still holds %(lots)d lots of supplies; "
            "take them out on its restock page first", {"lots": held})])
    outcome = Outcome()
    for asset in session.scalars(select(Asset).where(
            Asset.site_id == site.id, Asset.retired_at.is_(None)).order_by(Asset.id)):
        outcome.resolved += retire_asset(session, asset, text, now, ctx, user_id).outcome.resolved
    for par in session.scalars(select(ParLevel).where(ParLevel.site_id == site.id)):
        session.delete(par)
    for task in session.scalars(select(RestockTask).where(
            RestockTask.site_id == site.id, RestockTask.status == "open")):
        task.status, task.updated_at = "cancelled", now
    outcome.resolved += _resolve_all(session, select(Alert).where(
        Alert.site_id == site.id, Alert.asset_id.is_(None), Alert.gateway_id.is_(None)),
        user_id, now, retired_resolution(text))
    site.retired_at, site.retired_reason = now, text
    session.flush()
    audit.record(session, "retire", "site", str(site.id), {"retired_at": None},
                 {"retired_at": now.isoformat(), "reason": text,
                  "alerts_resolved": [a.id for a in outcome.resolved]})
    return Done(site, outcome)


# --- assets ---------------------------------------------------------------------------

def create_asset(session: Session, values: Mapping[str, Any], now: datetime,
                 ctx: AedContext) -> Done[Asset]:
    """A new AED or kit from ``values``: its fields, ``site_id`` and, for a monitored
    AED, ``device``. Without a position it takes its site's."""
    errors: list[FieldError] = []
    site = _site(session, values.get("site_id"), errors)
    raw = dict(values)
    if _blank(raw.get("external_id")):
        kind = raw.get("kind") if raw.get("kind") in ("aed", "first_aid_kit") else "aed"
        raw["external_id"] = new_external_id(session, Asset, "aed" if kind == "aed" else "kit")
    if site is not None and _blank(raw.get("lat")) and _blank(raw.get("lon")):
        raw["lat"], raw["lon"] = site.lat, site.lon
    checked, more = _checked(check_asset, raw, _today(now, ctx))
    if site is None:
        # Without its site there is no position to take: that is the one problem then.
        more = [e for e in more if not (e.field in ("lat", "lon") and e.code == "required")]
    errors += more
    device = _device(session, values.get("device"), None, errors)
    if _external_id_taken(session, Asset, _external_id(raw, checked), None):
        errors.append(_taken("asset"))
    if errors:
        raise RegistryInvalid(sorted(errors, key=_field_order))
    assert site is not None and isinstance(device, Device | None)
    outcome = Outcome(created=True, warnings=checked.warnings)
    if device is not None:
        _release(session, device)
    asset = Asset(**record_values(checked.record), site_id=site.id,
                  device_pk=device.id if device is not None else None)
    session.add(asset)
    session.flush()
    if device is not None:
        outcome.gateway_ids = _bump_config(session, [device.gateway_id], now, ctx)
    if asset.kind == "aed":
        refresh_aeds(session, [asset.id], now, ctx)
        outcome.refreshed = True
    return Done(asset, outcome)


def edit_asset(session: Session, asset: Asset, changes: Mapping[str, Any], now: datetime,
               ctx: AedContext) -> Done[Asset]:
    """Change the fields named in ``changes`` (``site_id`` and ``device`` too when
    named). A retired asset is refused."""
    if asset.retired_at is not None:
        raise AlreadyRetired("asset", asset.retired_at)
    before = asset_record(asset)
    checked, errors = _checked(check_asset, with_changes(before, changes), _today(now, ctx))
    site_id = asset.site_id
    if "site_id" in changes:
        site = _site(session, changes["site_id"], errors)
        site_id = site.id if site is not None else site_id
    old_device: Device | None = asset.device
    device: Any = old_device
    if "device" in changes:
        device = _device(session, changes["device"], asset, errors)
    if _external_id_taken(session, Asset, _external_id(changes, checked), asset.id):
        errors.append(_taken("asset"))
    if errors:
        raise RegistryInvalid(sorted(errors, key=_field_order))
    assert isinstance(device, Device | None)
    diff = changed(before, checked.record)
    for name, (_old, new) in diff.items():
        setattr(asset, name, new)
    outcome = Outcome(changes=diff, warnings=checked.warnings)
    if site_id != asset.site_id:
        diff["site_id"] = (asset.site_id, site_id)
        asset.site_id = site_id
    gateways: list[str] = []
    if device is not old_device:
        diff["device"] = (device_ref(old_device), device_ref(device))
        if device is not None:
            _release(session, device, keep=asset)
        asset.device_pk = device.id if device is not None else None
        gateways += [d.gateway_id for d in (old_device, device) if d is not None]
    dates = {"pad_expiry", "battery_expiry"} & diff.keys()
    if dates and device is not None and "device" not in diff:
        _mirror_dates(session, asset, dates)
        gateways.append(device.gateway_id)
    session.flush()
    if diff.get("kind", (None, None))[0] == "aed":
        # A kit has no AED alerts: what the AED had open is over.
        outcome.resolved += _resolve_all(session, select(Alert).where(
            Alert.asset_id == asset.id), None, now, NOT_AN_AED)
    if diff and "aed" in (asset.kind, diff.get("kind", (None, None))[0]):
        # Every change may move the public record (app/feeds), not only readiness.
        refresh_aeds(session, [asset.id], now, ctx)
        outcome.refreshed = True
    outcome.gateway_ids = _bump_config(session, gateways, now, ctx)
    return Done(asset, outcome)


def retire_asset(session: Session, asset: Asset, reason: Any, now: datetime,
                 ctx: AedContext, user_id: int | None) -> Done[Asset]:
    """Take an AED or kit out of service for good, with the reason (required)."""
    text = check_retire_reason(reason)
    if asset.retired_at is not None:
        raise AlreadyRetired("asset", asset.retired_at)
    asset.retired_at, asset.retired_reason = now, text
    # No deadline brings it back: the evaluation skips retired assets (app/aeds/facts.py).
    asset.reevaluate_at = NEVER
    outcome = Outcome(changes={"retired_at": (None, now)})
    outcome.resolved = _resolve_all(session, select(Alert).where(Alert.asset_id == asset.id),
                                    user_id, now, retired_resolution(text))
    session.flush()
    if asset.kind == "aed":
        # The evaluation skips it now; the feed's tombstone and the coverage follow.
        refresh_aeds(session, [asset.id], now, ctx)
    audit.record(session, "retire", "asset", str(asset.id), {"retired_at": None},
                 {"retired_at": now.isoformat(), "reason": text,
                  "alerts_resolved": [a.id for a in outcome.resolved]})
    return Done(asset, outcome)


# --- helpers --------------------------------------------------------------------------

#: The order an asset's problems are reported in: the validator's, then the references.
_FIELDS = (*ASSET_RULES, "site_id", "device")


def retired_resolution(reason: str) -> str:
    """How the alerts of a retired asset or site end: "retired: <the reason>"."""
    resolution = f"{RETIRED}: {reason}"
    return resolution if len(resolution) <= MAX_RESOLUTION else (
        resolution[:MAX_RESOLUTION - 1] + "…")


def _field_order(error: FieldError) -> int:
    return _FIELDS.index(error.field) if error.field in _FIELDS else len(_FIELDS)


def new_external_id(session: Session, model: type[Site] | type[Asset], prefix: str) -> str:
    """A registry id nobody has: "aed-3f9c2a"."""
    while True:
        candidate = f"{prefix}-{secrets.token_hex(3)}"
        if not _external_id_taken(session, model, candidate, None):
            return candidate


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _today(now: datetime, ctx: AedContext) -> date:
    return now.astimezone(ctx.tz).date()


def _resolve_all(session: Session, query: Any, user_id: int | None, now: datetime,
                 resolution: str) -> list[Alert]:
    alerts = list(session.scalars(query.where(Alert.status.in_(ACTIVE_STATES))
                                  .order_by(Alert.id)))
    return [lifecycle.resolve(session, a, user_id, now, resolution) for a in alerts]


def _release(session: Session, device: Device, keep: Asset | None = None) -> None:
    """A device bound to a retired asset is free for a new one: unbind it there (the
    retired asset's audit entries keep the binding)."""
    for holder in session.scalars(select(Asset).where(Asset.device_pk == device.id)):
        if holder is not keep:
            holder.device_pk = None
    session.flush()


def _mirror_dates(session: Session, asset: Asset, dates: set[str]) -> None:
    """The device's last reading still shows the old dates; the agent adopts the new ones
    from the config pushed after the commit and reports them back (as after a
    replacement, app/aeds/consumables.py)."""
    state = session.get(DeviceState, asset.device_pk) if asset.device_pk is not None else None
    if state is None:
        return
    for name in dates:
        setattr(state, name, getattr(asset, name))


def _bump_config(session: Session, gateway_ids: Sequence[str], now: datetime,
                 ctx: AedContext) -> list[str]:
    bumped: list[str] = []
    for gateway_id in dict.fromkeys(gateway_ids):
        gateway = session.get(Gateway, gateway_id)
        if gateway is not None and not gateway.revoked:
            bump_desired_config(session, gateway, ctx.readiness, now)
            bumped.append(gateway_id)
    return bumped
