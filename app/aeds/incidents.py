"""Closing a use incident: cabinet opened → AED used? → pads replaced → returned → ready."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.aeds.consumables import ReplacementOutcome, replace_consumables
from app.aeds.status import refresh_statuses
from app.alerts import lifecycle as alerts
from app.config import ReadinessPolicy
from app.models import Alert, Asset

INCIDENT_KINDS = ("aed_in_use", "cabinet_opened")


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
    subject = alerts.Subject.of_asset(asset)
    found = [alerts.active_alert(session, subject, kind) for kind in INCIDENT_KINDS]
    return [a for a in found if a is not None]


def close_incident(
    session: Session,
    asset: Asset,
    report: IncidentReport,
    user_id: int | None,
    now: datetime,
    policy: ReadinessPolicy,
    tz: ZoneInfo,
) -> IncidentOutcome:
    """Restore the AED after a cabinet opening; the caller commits and pushes config."""
    if not report.aed_returned:
        raise IncidentError(
            "not_returned", "the AED must be back in its cabinet before the incident closes"
        )
    if report.aed_used and not report.pads_replaced:
        raise IncidentError(
            "pads_not_replaced", "pads are single-use: replace them after the AED was used"
        )
    if report.pads_replaced and report.new_pad_expiry is None:
        raise IncidentError("pad_expiry_missing", "give the expiry date of the new pads")
    outcome = IncidentOutcome()
    if report.pads_replaced:
        outcome.replacement = replace_consumables(
            session, asset, user_id, now, policy, tz, pad_expiry=report.new_pad_expiry
        )
    steps = [
        "AED used" if report.aed_used else "AED not used",
        "pads replaced" if report.pads_replaced else "pads not replaced",
        "AED returned to cabinet",
    ]
    if report.note.strip():
        steps.append(report.note.strip())
    resolution = "restored: " + "; ".join(steps[:3])
    for alert in open_incident_alerts(session, asset):
        alerts.comment(session, alert, user_id, " · ".join(steps), now)
        outcome.resolved.append(alerts.resolve(session, alert, user_id, now, resolution[:200]))
    asset.in_use_since = None
    refresh_statuses(session, [asset], now, policy, tz)
    return outcome
