"""Moments and days the way people write them, in local time.

Inside the app every moment is timezone-aware UTC; people read them in ``TIMEZONE``
(Asia/Shanghai): zh "12月1日 22:44", en "1 Dec 22:44". The year is added only when it
is not the reader's current year, so this year's dates stay short.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from app.i18n.words import is_english

# Not strftime("%b"): that follows the process's C locale, not the reader's language.
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def local_day(value: date, locale: str | None, today: date) -> str:
    """zh "12月1日" (or "2027年3月1日"), en "1 Dec" (or "1 Mar 2027")."""
    same_year = value.year == today.year
    if is_english(locale):
        text = f"{value.day} {EN_MONTHS[value.month - 1]}"
        return text if same_year else f"{text} {value.year}"
    text = f"{value.month}月{value.day}日"
    return text if same_year else f"{value.year}年{text}"


def local_moment(value: datetime, locale: str | None, tz: tzinfo, now: datetime) -> str:
    """``value`` in ``tz`` with its day as :func:`local_day` writes it and HH:MM."""
    if value.tzinfo is None:
        # Naive moments inside the app are UTC (old rows, hand-written details).
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(tz)
    today = now.astimezone(tz).date()
    return f"{local_day(local.date(), locale, today)} {local:%H:%M}"
