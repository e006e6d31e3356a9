"""What templates read to name statuses and alerts, in the request's language.

Status words, glyphs and order come from the one table (app/mapping/statuses.py); alert
titles, texts, severities and states from app/alerts/texts.py. This module only binds
them to the request's locale and time zone. Readiness reasons are page texts (gettext).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l

from app.alerts import texts
from app.alerts.subjects import AlertWords, describe
from app.extensions import db_session, get_settings
from app.i18n import current_locale_code
from app.mapping.statuses import family
from app.models import Alert

REASON_TEXT = {
    "pad_expired": _l("Pads expired"),
    "pad_expiring": _l("Pads expire soon"),
    "pad_expiry_missing": _l("Pad expiry not recorded"),
    "battery_expired": _l("Battery expired"),
    "battery_expiring": _l("Battery expires soon"),
    "battery_expiry_missing": _l("Battery expiry not recorded"),
    "battery_low": _l("Battery low"),
    "inspection_overdue": _l("Monthly check overdue"),
    "inspection_due_soon": _l("Monthly check due soon"),
    "never_inspected": _l("Never checked"),
    "self_test_failed": _l("Self-test failed"),
    "aed_missing": _l("AED missing from cabinet"),
    "temperature_out_of_range": _l("Temperature out of range"),
    "device_silent": _l("Sensor silent"),
    "use_incident_open": _l("Use incident open"),
    "cabinet_open_aed_removed": _l("Cabinet open, AED removed"),
}


def status_word(status: str | None, kind: str = "aed") -> str:
    return family(kind).word(status, current_locale_code())


def status_glyph(status: str | None, kind: str = "aed") -> str:
    return family(kind).get(status).glyph


def severity_word(severity: str) -> str:
    return texts.severity_word(severity, current_locale_code())


def severity_glyph(severity: str) -> str:
    return texts.SEVERITY_GLYPHS.get(severity, "")


def alert_title(kind: str) -> str:
    return texts.title(kind, current_locale_code())


def alert_state(state: str) -> str:
    return texts.state_word(state, current_locale_code())


def alert_words(alerts: Sequence[Alert]) -> dict[int, AlertWords]:
    """Title and text of each alert (by id) for the page being rendered."""
    return describe(db_session(), alerts, current_locale_code(), get_settings().tz)


def template_labels() -> dict[str, object]:
    return {
        "status_word": status_word, "status_glyph": status_glyph,
        "severity_word": severity_word, "severity_glyph": severity_glyph,
        "alert_title": alert_title, "alert_state": alert_state, "REASON_TEXT": REASON_TEXT,
    }
