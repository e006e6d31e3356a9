"""The access-hours preview beside the editor's field: understood or not (and why), and
"open now / opens at" in local time, worded for the reader.

The parsing and the calendar are maps.hours' (check_hours, open_state); this only puts
their answers into the editor's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.i18n.words import is_english
from app.registry.words import text
from maps.hours import OpenState, check_hours, open_state

_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class HoursPreview:
    value: str
    valid: bool
    reason: str | None
    #: None when unknown (nothing given, or not understood).
    open: bool | None
    opens_at: datetime | None
    closes_at: datetime | None
    #: One line for the reader ("Open now, closes 21:00").
    text: str


def preview(value: str | None, now: datetime, tz: ZoneInfo, locale: str | None
            ) -> HoursPreview:
    raw = (value or "").strip()
    check = check_hours(raw)
    state = open_state(raw, now) if raw and check.valid else OpenState(None)
    opens = state.opens_at.astimezone(tz) if state.opens_at else None
    closes = state.closes_at.astimezone(tz) if state.closes_at else None
    if not raw:
        line = text("hours_empty", locale)
    elif not check.valid or state.open is None:
        line = text("hours_unknown", locale)
        if check.reason:
            line += f": {check.reason}"
    elif state.open:
        line = (text("hours_open_until", locale, at=_when(closes, now, tz, locale)) if closes
                else text("hours_open", locale))
    else:
        line = (text("hours_closed_opens", locale, at=_when(opens, now, tz, locale)) if opens
                else text("hours_closed", locale))
    return HoursPreview(raw, check.valid, check.reason, state.open, opens, closes, line)


def _when(at: datetime, now: datetime, tz: ZoneInfo, locale: str | None) -> str:
    """"21:00" today, "周二 07:00" / "Tue 07:00" on another day of the week ahead,
    "2026-12-08 07:00" later."""
    local_now = now.astimezone(tz)
    clock = at.strftime("%H:%M")
    days = (at.date() - local_now.date()).days
    if days == 0:
        return clock
    if 0 < days < 7:
        names = _WEEKDAYS_EN if is_english(locale) else _WEEKDAYS_ZH
        return f"{names[at.weekday()]} {clock}"
    return f"{at.date().isoformat()} {clock}"
