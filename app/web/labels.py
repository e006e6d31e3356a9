"""Display texts for statuses, reasons, alert kinds and severities (translated).

Each status also has its own symbol, so no information is carried by colour alone.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Kept for the bilingual public asset list.
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "ready": ("就绪", "Ready"),
    "attention": ("需关注", "Attention"),
    "not_ready": ("不可用", "Not ready"),
    "in_use": ("使用中", "In use"),
    "unknown": ("状态未知", "Unknown"),
}

STATUS_TEXT = {
    "ready": _l("Ready"),
    "attention": _l("Needs attention"),
    "not_ready": _l("Not ready"),
    "in_use": _l("In use"),
    "unknown": _l("Status unknown"),
}
STATUS_SYMBOL = {"ready": "✓", "attention": "!", "not_ready": "✕", "in_use": "⚡", "unknown": "?"}

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

ALERT_KIND_TEXT = {
    "pad_expiring": _l("Pads expire soon"),
    "battery_expiring": _l("Battery expires soon"),
    "pad_expired": _l("Pads expired"),
    "battery_expired": _l("Battery expired"),
    "self_test_failed": _l("Self-test failed"),
    "cabinet_opened": _l("Cabinet opened"),
    "aed_in_use": _l("AED taken out (possible use)"),
    "door_open_too_long": _l("Cabinet door open too long"),
    "temperature_out_of_range": _l("Temperature out of range"),
    "battery_low": _l("Battery low"),
    "gateway_offline": _l("Gateway offline"),
    "device_silent": _l("Sensor silent"),
    "unregistered_device": _l("Unregistered device"),
    "client_id_takeover": _l("Gateway identity conflict"),
    "stock_low": _l("Supplies low"),
    "stock_expiring": _l("Supplies expire soon"),
    "inspection_due": _l("Monthly check due"),
    "inspection_overdue": _l("Monthly check overdue"),
}

SEVERITY_TEXT = {
    "urgent": _l("Urgent"),
    "critical": _l("Critical"),
    "warning": _l("Warning"),
    "info": _l("Info"),
}
SEVERITY_SYMBOL = {"urgent": "‼", "critical": "✕", "warning": "!", "info": "i"}

ALERT_STATUS_TEXT = {
    "open": _l("Open"),
    "acknowledged": _l("Acknowledged"),
    "resolved": _l("Resolved"),
}

GATEWAY_STATE_TEXT = {
    "online": _l("Online"),
    "offline": _l("Offline"),
    "stopped": _l("Stopped"),
    "unknown": _l("Unknown"),
}


def template_labels() -> dict[str, object]:
    return {
        "STATUS_TEXT": STATUS_TEXT, "STATUS_SYMBOL": STATUS_SYMBOL, "REASON_TEXT": REASON_TEXT,
        "ALERT_KIND_TEXT": ALERT_KIND_TEXT, "SEVERITY_TEXT": SEVERITY_TEXT,
        "SEVERITY_SYMBOL": SEVERITY_SYMBOL, "ALERT_STATUS_TEXT": ALERT_STATUS_TEXT,
        "GATEWAY_STATE_TEXT": GATEWAY_STATE_TEXT,
    }
