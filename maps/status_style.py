"""How each status looks: colour, glyph and label, per kind and locale.

Colours come from the Okabe-Ito palette (distinguishable with common colour-vision
deficiencies), and every status also has its own glyph and text, so colour is never the
only carrier. Shapes tell kinds apart: AED circle, station square, gateway diamond.
"""

from __future__ import annotations

from dataclasses import dataclass

from maps.records import STATUSES

DEFAULT_LOCALE = "zh_CN"
LOCALES = ("zh_CN", "en")

# Okabe-Ito palette.
GREEN = "#009E73"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
BLUE = "#0072B2"
SKY = "#56B4E9"
YELLOW = "#F0E442"
BLACK = "#000000"
GREY = "#999999"


@dataclass(frozen=True, slots=True)
class StatusStyle:
    colour: str
    #: Text colour that stays readable on ``colour``.
    ink: str
    glyph: str


STYLES: dict[str, dict[str, StatusStyle]] = {
    "aed": {
        "ready": StatusStyle(GREEN, "#ffffff", "✓"),
        "attention": StatusStyle(ORANGE, BLACK, "!"),
        "not_ready": StatusStyle(VERMILLION, "#ffffff", "✕"),
        "in_use": StatusStyle(PURPLE, BLACK, "⚡"),
        "unknown": StatusStyle(GREY, BLACK, "?"),
    },
    "station": {
        "ok": StatusStyle(GREEN, "#ffffff", "✓"),
        "low": StatusStyle(ORANGE, BLACK, "↓"),
        "expiring": StatusStyle(YELLOW, BLACK, "⌛"),
        "empty": StatusStyle(VERMILLION, "#ffffff", "0"),
        "unknown": StatusStyle(GREY, BLACK, "?"),
    },
    "gateway": {
        "online": StatusStyle(BLUE, "#ffffff", "●"),
        "offline": StatusStyle(BLACK, "#ffffff", "✕"),
        "unknown": StatusStyle(GREY, BLACK, "?"),
    },
}

SHAPES: dict[str, str] = {"aed": "circle", "station": "square", "gateway": "diamond"}

STATUS_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "zh_CN": {
        "aed": {
            "ready": "可用",
            "attention": "需关注",
            "not_ready": "不可用",
            "in_use": "使用中",
            "unknown": "状态未知",
        },
        "station": {
            "ok": "物资充足",
            "low": "物资不足",
            "expiring": "物资将过期",
            "empty": "物资耗尽",
            "unknown": "状态未知",
        },
        "gateway": {"online": "在线", "offline": "离线", "unknown": "状态未知"},
    },
    "en": {
        "aed": {
            "ready": "Ready",
            "attention": "Needs attention",
            "not_ready": "Not ready",
            "in_use": "In use",
            "unknown": "Unknown",
        },
        "station": {
            "ok": "Stocked",
            "low": "Supplies low",
            "expiring": "Supplies expiring",
            "empty": "Empty",
            "unknown": "Unknown",
        },
        "gateway": {"online": "Online", "offline": "Offline", "unknown": "Unknown"},
    },
}

#: Page texts (layer names, controls, popup captions) per locale.
UI_TEXT: dict[str, dict[str, str]] = {
    "zh_CN": {
        "layer_aed": "AED 除颤仪",
        "layer_station": "急救站",
        "layer_gateway": "离线网关",
        "search": "搜索名称",
        "open_now": "仅显示现在开放",
        "nearest": "查找最近可用 AED",
        "nearest_busy": "正在定位…",
        "nearest_none": "附近没有找到可用 AED",
        "nearest_error": "无法获取位置或结果",
        "pad_expiry": "电极片有效期",
        "battery_expiry": "电池有效期",
        "last_check": "上次检查",
        "access_hours": "开放时间",
        "open": "现在开放",
        "closed": "现在关闭",
        "hours_unknown": "开放时间未知",
        "details": "查看详情",
        "contact": "联系人",
        "legend": "图例",
        "distance": "距离",
        "too_many": "此区域标记过多,请放大查看",
        "load_error": "地图数据加载失败",
        "shown": "显示",
    },
    "en": {
        "layer_aed": "AEDs",
        "layer_station": "First-aid stations",
        "layer_gateway": "Offline gateways",
        "search": "Search by name",
        "open_now": "Open now only",
        "nearest": "Nearest ready AED",
        "nearest_busy": "Locating…",
        "nearest_none": "No ready AED found nearby",
        "nearest_error": "Could not get your position or results",
        "pad_expiry": "Pads expire",
        "battery_expiry": "Battery expires",
        "last_check": "Last check",
        "access_hours": "Access hours",
        "open": "Open now",
        "closed": "Closed now",
        "hours_unknown": "Hours unknown",
        "details": "Details",
        "contact": "Contact",
        "legend": "Legend",
        "distance": "Distance",
        "too_many": "Too many markers here: zoom in",
        "load_error": "Could not load map data",
        "shown": "Shown",
    },
}


def normalise_locale(locale: str | None) -> str:
    """Map "zh-CN", "zh_Hans", "en-GB"... onto a supported locale; default zh_CN."""
    if not locale:
        return DEFAULT_LOCALE
    low = locale.replace("-", "_").lower()
    if low.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def style_for(kind: str, status: str) -> StatusStyle:
    """Style of a status; unknown statuses fall back to the kind's "unknown"."""
    styles = STYLES[kind]
    return styles.get(status, styles["unknown"])


def status_label(kind: str, status: str, locale: str | None = None) -> str:
    labels = STATUS_LABELS[normalise_locale(locale)][kind]
    return labels.get(status, labels["unknown"])


def legend(locale: str | None = None) -> dict[str, list[dict[str, str]]]:
    """Legend entries per kind, in display order, as plain dicts for the page config."""
    loc = normalise_locale(locale)
    out: dict[str, list[dict[str, str]]] = {}
    for kind, statuses in STATUSES.items():
        out[kind] = [
            {
                "status": s,
                "label": STATUS_LABELS[loc][kind][s],
                "colour": STYLES[kind][s].colour,
                "ink": STYLES[kind][s].ink,
                "glyph": STYLES[kind][s].glyph,
                "shape": SHAPES[kind],
            }
            for s in statuses
        ]
    return out
