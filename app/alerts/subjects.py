"""Who an alert is about, by name, and the alert's words for a reader (app/alerts/texts.py).

Pages, the API and notifications show many alerts at once: the names of their assets,
sites, gateways and responders are read in one query per subject type, never one per
alert.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import texts
from app.i18n.words import is_english
from app.models import Alert, Asset, Gateway, Responder, Site
from app.training.words import ERASED


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    name_en: str | None = None

    def in_(self, locale: str | None) -> str:
        return self.name_en if is_english(locale) and self.name_en else self.name


@dataclass(frozen=True, slots=True)
class AlertWords:
    title: str
    text: str
    #: The site the alert concerns ("where" in a notification), "" when it has none.
    where: str


@dataclass(frozen=True)
class Names:
    assets: dict[int, Name]
    sites: dict[int, Name]
    gateways: dict[str, Name]
    #: Responders by id (their alerts have no site: the subject id is the responder's).
    responders: dict[int, Name] = field(default_factory=dict)

    def subject(self, alert: Alert) -> Name:
        """The asset's, site's or gateway's name; its id when the row is gone."""
        found: Name | None = None
        if alert.subject_type == "asset" and alert.asset_id is not None:
            found = self.assets.get(alert.asset_id)
        elif alert.subject_type == "site" and alert.site_id is not None:
            found = self.sites.get(alert.site_id)
        elif alert.subject_type == "gateway" and alert.gateway_id is not None:
            found = self.gateways.get(alert.gateway_id)
        elif alert.subject_type == "responder" and alert.subject_id.isdigit():
            found = self.responders.get(int(alert.subject_id))
        return found or Name(alert.subject_id)

    def site(self, alert: Alert) -> Name | None:
        return self.sites.get(alert.site_id) if alert.site_id is not None else None


def names_of(session: Session, alerts: Iterable[Alert]) -> Names:
    rows = list(alerts)
    asset_ids = {a.asset_id for a in rows if a.asset_id is not None}
    site_ids = {a.site_id for a in rows if a.site_id is not None}
    gateway_ids = {a.gateway_id for a in rows if a.gateway_id is not None}
    responder_ids = {int(a.subject_id) for a in rows
                     if a.subject_type == "responder" and a.subject_id.isdigit()}
    names = Names({}, {}, {})
    if asset_ids:
        for aid, name, name_en in session.execute(
                select(Asset.id, Asset.name, Asset.name_en).where(Asset.id.in_(asset_ids))):
            names.assets[aid] = Name(name, name_en)
    if site_ids:
        for sid, name, name_en in session.execute(
                select(Site.id, Site.name, Site.name_en).where(Site.id.in_(site_ids))):
            names.sites[sid] = Name(name, name_en)
    if gateway_ids:
        for gid, label in session.execute(
                select(Gateway.id, Gateway.name).where(Gateway.id.in_(gateway_ids))):
            names.gateways[gid] = Name(label or gid)
    if responder_ids:
        for rid, name in session.execute(
                select(Responder.id, Responder.name).where(Responder.id.in_(responder_ids))):
            names.responders[rid] = Name(name) if name else Name(ERASED.zh, ERASED.en)
    return names


def words_for(alert: Alert, names: Names, locale: str | None, tz: tzinfo,
              now: datetime | None = None) -> AlertWords:
    site = names.site(alert)
    return AlertWords(
        title=texts.title(alert.kind, locale),
        text=texts.text(alert, locale, tz, names.subject(alert).in_(locale), now),
        where=site.in_(locale) if site else "",
    )


def describe(session: Session, alerts: Sequence[Alert], locale: str | None, tz: tzinfo,
             now: datetime | None = None) -> dict[int, AlertWords]:
    """Title, text and place of each alert (by id) in ``locale``, moments in ``tz``."""
    names = names_of(session, alerts)
    return {a.id: words_for(a, names, locale, tz, now) for a in alerts}
