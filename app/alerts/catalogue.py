"""The one catalogue of alert kinds: what each means, how severe, how it ends.

Every rule that raises an alert names a kind from here; every page, notification and
API answer that shows one reads its words from :mod:`app.alerts.texts`, which renders
them per language from the kind and the alert's structured ``detail`` (never from a
stored sentence). Severity ranks live here once, most severe first.

``detail`` keys per kind are listed in :attr:`AlertKind.detail_keys`; dates are ISO
``YYYY-MM-DD`` strings (local calendar days where the thing stands), moments ISO 8601
UTC strings, so the JSON column holds them as text and the renderer turns them into
local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SubjectType = Literal["asset", "site", "gateway", "responder"]

#: Most severe first; the position is the rank (0 is the most urgent).
SEVERITIES: tuple[str, ...] = ("urgent", "critical", "warning", "info")
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}
#: The states of an alert that still needs someone (open, or seen but not yet resolved).
ACTIVE_STATES: tuple[str, ...] = ("open", "acknowledged")
ALERT_STATES: tuple[str, ...] = (*ACTIVE_STATES, "resolved")


@dataclass(frozen=True)
class AlertKind:
    code: str
    subject: SubjectType
    #: The usual severity (some rules raise it, e.g. an expiry a week away is critical).
    severity: str
    #: Resolves itself when the condition clears; otherwise a person resolves it.
    auto_resolve: bool
    #: Notified at once by the process that raised it, not on the notifier's period.
    urgent: bool = False
    #: Part of a use incident: closed by the volunteer who restores the AED.
    incident: bool = False
    detail_keys: tuple[str, ...] = ()


def _kinds(*kinds: AlertKind) -> dict[str, AlertKind]:
    return {k.code: k for k in kinds}


KINDS: dict[str, AlertKind] = _kinds(
    # AEDs: dated consumables (stage = lead-time stage in days, 0 once expired).
    AlertKind("pad_expiring", "asset", "warning", True, detail_keys=("expiry",)),
    AlertKind("pad_expired", "asset", "critical", True, detail_keys=("expiry",)),
    AlertKind("battery_expiring", "asset", "warning", True, detail_keys=("expiry",)),
    AlertKind("battery_expired", "asset", "critical", True, detail_keys=("expiry",)),
    # AEDs: what the device reports.
    AlertKind("self_test_failed", "asset", "critical", True),
    AlertKind("temperature_out_of_range", "asset", "critical", True,
              detail_keys=("temp_c", "min_c", "max_c")),
    AlertKind("battery_low", "asset", "warning", True, detail_keys=("battery_pct", "min_pct")),
    AlertKind("cabinet_opened", "asset", "urgent", False, urgent=True, incident=True,
              detail_keys=("at",)),
    AlertKind("aed_in_use", "asset", "urgent", False, urgent=True, incident=True,
              detail_keys=("since", "cause")),
    AlertKind("door_open_too_long", "asset", "critical", True,
              detail_keys=("since", "limit_min")),
    AlertKind("device_silent", "asset", "critical", True, detail_keys=("device", "last_seen")),
    # AEDs: the monthly check ("due" is None when the AED was never checked).
    AlertKind("inspection_due", "asset", "info", True, detail_keys=("due",)),
    AlertKind("inspection_overdue", "asset", "warning", True, detail_keys=("due",)),
    # Gateways ("cause": will, silent or stopped).
    AlertKind("gateway_offline", "gateway", "critical", True,
              detail_keys=("last_seen", "cause")),
    AlertKind("unregistered_device", "gateway", "warning", False, detail_keys=("device",)),
    AlertKind("client_id_takeover", "gateway", "critical", False),
    # First-aid stations.
    AlertKind("stock_low", "site", "warning", True, detail_keys=("items",)),
    AlertKind("stock_expiring", "site", "warning", True, detail_keys=("lots", "earliest")),
    AlertKind("stock_expired", "site", "critical", True, detail_keys=("lots", "earliest")),
    # The training programme: a responder's first-aider certificate (stage = lead-time
    # stage in days, 0 once expired), and a site short of certified responders.
    AlertKind("certificate_expiring", "responder", "warning", True, detail_keys=("expiry",)),
    AlertKind("certificate_expired", "responder", "warning", True, detail_keys=("expiry",)),
    AlertKind("responders_below_minimum", "site", "warning", True,
              detail_keys=("responders", "minimum")),
)

URGENT_KINDS: frozenset[str] = frozenset(k.code for k in KINDS.values() if k.urgent)
INCIDENT_KINDS: frozenset[str] = frozenset(k.code for k in KINDS.values() if k.incident)

#: Detail key of an AED's alert: the coverage the AED carries (app/coverage/costs.py), in
#: percent of the area-week. Set by coverage, not by the rule that raised the alert.
COVERAGE_LOST = "coverage_lost"
#: Detail keys that other subjects add to an alert after it is raised: kept when the rule
#: updates the alert, and no difference to what the rule wants (app/alerts/apply.py).
ANNOTATION_KEYS: frozenset[str] = frozenset({COVERAGE_LOST})


class UnknownAlertKind(ValueError):
    pass


def kind_of(code: str) -> AlertKind:
    try:
        return KINDS[code]
    except KeyError:
        raise UnknownAlertKind(f"unknown alert kind {code!r}") from None


def severity_rank(severity: str) -> int:
    """0 for the most severe; unknown severities sort last."""
    return SEVERITY_RANK.get(severity, len(SEVERITIES))


def more_severe(a: str, b: str) -> str:
    return a if severity_rank(a) <= severity_rank(b) else b
