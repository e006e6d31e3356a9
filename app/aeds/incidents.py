"""Closing a use incident: cabinet opened → AED used? → pads replaced → returned → ready.

The incident's alerts are closed by the volunteer who restores the AED, never by a
reading. What they report is kept as structured facts on the alerts (``restored`` in
their detail, resolution ``restored``), so every page words it in its reader's language;
their own note becomes a comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.aeds.consumables import ReplacementOutcome, replace_consumables
from app.aeds.refresh import AedContext, refresh_aeds
from app.alerts import lifecycle
from app.alerts.catalogue import ACTIVE_STATES, INCIDENT_KINDS
from app.models import Alert, Asset


class IncidentError(ValueError):
    """`code` names the missing step: not_returned, pads_not_replaced, pad_expiry_missing."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(text)
        self.code = code


@dataclass(frozen=True)
class IncidentReport:
    aed_used: bool
    pads_replaced: bool
    new_pad_expiry: date | None
    aed_returned: bool
    note: str = ""


@dataclass
class IncidentOutcome:
    resolved: list[Alert] = field(default_factory=list)
    replacement: ReplacementOutcome | None = None


def open_incident_alerts(session: Session, asset: Asset) -> list[Alert]:
    return list(session.scalars(
        select(Alert).where(Alert.asset_id == asset.id, Alert.kind.in_(sorted(INCIDENT_KINDS)),
                            Alert.status.in_(ACTIVE_STATES)).order_by(Alert.opened_at)))


def close_incident(session: Session, asset: Asset, report: IncidentReport,
                   user_id: int | None, now: datetime, ctx: AedContext) -> IncidentOutcome:
    """Restore the AED after a cabinet opening; the caller commits and pushes config."""
    if not report.aed_returned:
        raise IncidentError(
            "not_returned", "the AED must be back in its cabinet before the incident closes")
    if report.aed_used and not report.pads_replaced:
        raise IncidentError(
            "pads_not_replaced", "pads are single-use: replace them after the AED was used")
    if report.pads_replaced and report.new_pad_expiry is None:
        raise IncidentError("pad_expiry_missing", "give the expiry date of the new pads")
    outcome = IncidentOutcome()
    if report.pads_replaced:
        outcome.replacement = replace_consumables(
            session, asset, user_id, now, ctx, pad_expiry=report.new_pad_expiry)
    restored = {"aed_used": report.aed_used, "pads_replaced": report.pads_replaced}
    for alert in open_incident_alerts(session, asset):
        if report.note.strip():
            lifecycle.comment(session, alert, user_id, report.note.strip(), now)
        alert.detail = {**(alert.detail or {}), "restored": restored}
        outcome.resolved.append(lifecycle.resolve(session, alert, user_id, now, "restored"))
    asset.in_use_since = None
    # What the door and the presence sensor said up to now is this story: told.
    asset.presence_reset_at = now
    refresh_aeds(session, [asset.id], now, ctx)
    return outcome
