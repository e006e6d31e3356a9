""""Open now" from access-hours strings (a practical subset of OSM opening_hours).

Supported: ``24/7``; ``off``/``closed``; rules joined by ``;`` such as
``Mo-Fr 08:00-18:00; Sa,Su 09:00-17:00``, ``Mo-Su 06:00-22:00``, several spans per rule
(``Mo-Fr 08:00-12:00,13:00-18:00``), overnight spans (``22:00-06:00`` runs into the next
day), a rule without days (every day) and ``Sa off``. A later rule replaces earlier times
for the days it names, as in OSM. Anything else parses to ``None`` ("unknown"); nothing
here raises at render time.

Times are local to Asia/Shanghai. A schedule compiles to week-minute intervals
``[start, end)`` with 0 = Monday 00:00 and 10080 = the next Monday, which the map page
evaluates in the browser.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
WEEK_MIN = 7 * 24 * 60
DAY_MIN = 24 * 60
_DAYS = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6}
# Used with fullmatch: `$` with match() would also accept a trailing newline.
_TIME = re.compile(r"([01]?\d|2[0-4]):([0-5]\d)")
_DAY_SEL = re.compile(r"[A-Za-z]{2}(-[A-Za-z]{2})?(,[A-Za-z]{2}(-[A-Za-z]{2})?)*")

Intervals = tuple[tuple[int, int], ...]


def _minutes(text: str) -> int | None:
    m = _TIME.fullmatch(text.strip())
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    if h == 24 and mi != 0:
        return None
    return h * 60 + mi


def _days(selector: str) -> list[int] | None:
    if not _DAY_SEL.fullmatch(selector):
        return None
    out: list[int] = []
    for part in selector.lower().split(","):
        ends = part.split("-")
        if any(e not in _DAYS for e in ends):
            return None
        start = _DAYS[ends[0]]
        stop = _DAYS[ends[-1]]
        day = start
        out.append(day)
        while day != stop:
            day = (day + 1) % 7
            out.append(day)
    return out


def _spans(text: str) -> list[tuple[int, int]] | None:
    """Spans of one day as minutes from that day's midnight; end may pass 1440."""
    if text.lower() in ("off", "closed"):
        return []
    spans = []
    for part in text.split(","):
        bits = part.split("-")
        if len(bits) != 2:
            return None
        start, end = _minutes(bits[0]), _minutes(bits[1])
        if start is None or end is None or start >= DAY_MIN:
            return None
        if end <= start:
            end += DAY_MIN  # overnight: runs into the next day
        spans.append((start, end))
    return spans


@lru_cache(maxsize=4096)
def weekly_intervals(hours: str) -> Intervals | None:
    """Compile an access-hours string to sorted, merged week-minute intervals.

    ``()`` means never open; ``None`` means unknown or unparseable.
    """
    text = " ".join((hours or "").split())
    if not text:
        return None
    if text.lower() in ("24/7", "mo-su 00:00-24:00"):
        return ((0, WEEK_MIN),)
    per_day: dict[int, list[tuple[int, int]]] = {}
    for rule in text.split(";"):
        rule = rule.strip()
        if not rule:
            continue
        head, _, rest = rule.partition(" ")
        days = _days(head) if rest else None
        if days is None:
            if rest and _DAY_SEL.fullmatch(head):
                return None  # looked like days but was not valid
            days, rest = list(range(7)), rule
        spans = _spans(rest.strip().replace(" ", ""))
        if spans is None:
            return None
        for d in days:
            per_day[d] = spans
    raw: list[tuple[int, int]] = []
    for day, spans in per_day.items():
        for start, end in spans:
            s, e = day * DAY_MIN + start, day * DAY_MIN + end
            if e > WEEK_MIN:  # Sunday night into Monday morning
                raw.append((s, WEEK_MIN))
                raw.append((0, e - WEEK_MIN))
            else:
                raw.append((s, e))
    raw.sort()
    merged: list[tuple[int, int]] = []
    for s, e in raw:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)


def week_minute(now: datetime) -> int:
    """Minutes since Monday 00:00 in Asia/Shanghai for an aware datetime."""
    local = now.astimezone(TZ)
    return local.weekday() * DAY_MIN + local.hour * 60 + local.minute


def open_now(hours: str, now: datetime | None = None) -> bool | None:
    """True/False when the schedule is understood, ``None`` when unknown. Never raises
    on bad input text; ``now`` must be timezone-aware (default: the current time)."""
    try:
        intervals = weekly_intervals(hours)
    except Exception:  # a render must never fail on a volunteer's typo
        return None
    if intervals is None:
        return None
    minute = week_minute(now or datetime.now(UTC))
    return any(s <= minute < e for s, e in intervals)
