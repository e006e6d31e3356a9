""""What needs me now": assets and stations with work, most urgent first, then nearest."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.alerts.catalogue import ACTIVE_STATES, severity_rank
from app.mapping.statuses import AED
from app.models import Alert, Asset, Site

#: The calmest rank: a ready AED with nothing alerting (the table's last status).
CALM = AED.rank("ready")


@dataclass
class WorkItem:
    site: Site
    asset: Asset | None
    alerts: list[Alert] = field(default_factory=list)
    distance_m: float | None = None
    #: Share of the area whose coverage now depends on this AED alone (app/coverage):
    #: lost while it is not ready, at stake while it is.
    coverage: float = 0.0

    @property
    def urgency(self) -> int:
        """0 is the most urgent. Alert severities and AED statuses are ranked by their
        own tables, most urgent first, on one scale: an urgent alert and an AED in use
        both rank 0, critical and not ready 1, and so on down."""
        ranks = [severity_rank(a.severity) for a in self.alerts]
        if self.asset is not None:
            ranks.append(AED.rank(self.asset.status))
        return min(ranks, default=CALM)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def build_worklist(
    session: Session,
    team_id: int | None,
    position: tuple[float, float] | None = None,
    limit: int = 100,
    coverage: Callable[[Sequence[int]], Mapping[int, float]] | None = None,
) -> list[WorkItem]:
    """Work for one team (or everyone when team_id is None). With ``coverage`` (AED ids
    -> the share each carries alone), an AED whose loss opens a bigger gap comes first
    within the same urgency."""
    # Retired assets have no work (their alerts were resolved when they were retired).
    asset_query = (select(Asset, Site).join(Site, Asset.site_id == Site.id)
                   .where(Asset.retired_at.is_(None)))
    alert_query = select(Alert).where(Alert.status.in_(ACTIVE_STATES), or_(
        Alert.asset_id.is_(None),
        Alert.asset_id.not_in(select(Asset.id).where(Asset.retired_at.is_not(None)))))
    if team_id is not None:
        asset_query = asset_query.where(Site.team_id == team_id)
        alert_query = alert_query.join(Site, Alert.site_id == Site.id).where(
            Site.team_id == team_id
        )
    items: dict[tuple[int, int | None], WorkItem] = {}
    sites: dict[int, Site] = {}
    assets: dict[int, Asset] = {}
    for asset, site in session.execute(asset_query):
        sites[site.id] = site
        assets[asset.id] = asset
        if AED.rank(asset.status) != CALM:
            items[(site.id, asset.id)] = WorkItem(site=site, asset=asset)
    for alert in session.scalars(alert_query):
        if alert.asset_id is not None and alert.asset_id in assets:
            asset = assets[alert.asset_id]
            key: tuple[int, int | None] = (asset.site_id, asset.id)
            item = items.setdefault(key, WorkItem(site=sites[asset.site_id], asset=asset))
        elif alert.site_id is not None:
            site_row = sites.get(alert.site_id) or session.get(Site, alert.site_id)
            if site_row is None:
                continue
            item = items.setdefault((site_row.id, None), WorkItem(site=site_row, asset=None))
        else:
            continue
        item.alerts.append(alert)
    result = list(items.values())
    if position is not None:
        for item in result:
            lat = item.asset.lat if item.asset else item.site.lat
            lon = item.asset.lon if item.asset else item.site.lon
            item.distance_m = haversine_m(position[0], position[1], lat, lon)
    if coverage is not None:
        carried = coverage([i.asset.id for i in result if i.asset is not None])
        for item in result:
            item.coverage = carried.get(item.asset.id, 0.0) if item.asset else 0.0
    result.sort(key=lambda i: (
        i.urgency,
        -i.coverage,
        i.distance_m if i.distance_m is not None else 0.0,
        i.site.name,
        i.asset.id if i.asset else 0,
    ))
    return result[:limit]
