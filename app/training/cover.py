"""Station cover: how many responders with a valid certificate serve a site, against
the minimum it needs.

A site's minimum is its own (``Site.min_responders``) or its kind's default
(app/training/policy.py: 2 at party-service stations, 0 elsewhere). A site below a
minimum above 0 has the reason ``responders_below_minimum`` (its page shows it) and
wants the alert of that kind (warning), with ``detail`` = {"responders": valid ones,
"minimum": needed}; it resolves when enough certified people serve it again. Retired
sites need nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts.apply import Applied, Wanted, apply_to_sites
from app.models import Responder, ResponderSite, Site
from app.training.certificates import valid_sql
from app.training.policy import TrainingPolicy

KIND = "responders_below_minimum"
REASON = KIND


@dataclass(frozen=True)
class Cover:
    valid: int
    minimum: int

    @property
    def short(self) -> bool:
        return self.valid < self.minimum

    @property
    def reason(self) -> str | None:
        return REASON if self.short else None


def covers(session: Session, today: date, policy: TrainingPolicy,
           site_ids: Sequence[int] | None = None) -> dict[int, Cover]:
    """The cover of ``site_ids`` (None: every site in service), by site id."""
    session.flush()
    sites = select(Site.id, Site.kind, Site.min_responders).where(Site.retired_at.is_(None))
    valid = (select(ResponderSite.site_id, func.count(func.distinct(Responder.id)))
             .join(Responder, Responder.id == ResponderSite.responder_id)
             .where(valid_sql(today)).group_by(ResponderSite.site_id))
    if site_ids is not None:
        sites = sites.where(Site.id.in_(site_ids))
        valid = valid.where(ResponderSite.site_id.in_(site_ids))
    counts: dict[int, int] = {sid: int(n) for sid, n in session.execute(valid)}
    return {sid: Cover(counts.get(sid, 0), policy.minimum_for(kind, own))
            for sid, kind, own in session.execute(sites)}


def cover_of(session: Session, site_id: int, today: date,
             policy: TrainingPolicy) -> Cover | None:
    """One site's cover; None for a retired or unknown site."""
    return covers(session, today, policy, [site_id]).get(site_id)


def sync_cover_alerts(session: Session, today: date, now: datetime, policy: TrainingPolicy,
                      site_ids: Sequence[int] | None = None) -> Applied:
    wanted = {sid: [Wanted(KIND, detail={"responders": c.valid, "minimum": c.minimum})]
              for sid, c in covers(session, today, policy, site_ids).items() if c.short}
    return apply_to_sites(session, wanted, frozenset({KIND}), now,
                          list(site_ids) if site_ids is not None else None)
