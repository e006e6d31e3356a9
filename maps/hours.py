"""Opening hours: OSM ``opening_hours`` values on mainland China's calendar.

The value is parsed and evaluated by opening-hours-py (the Rust ``opening-hours``
crate), the whole OSM syntax: rules, ``PH``, months, weeks, fallbacks (``||``),
comments, ``unknown``, ``sunrise-sunset`` (at Yangpu), spans past midnight
(``Mo-Su 20:00-06:00``). Public holidays and adjusted working days are
:mod:`maps.cn_calendar`'s, not the parser's: the parser's own holiday table
(``country="CN"``, from Nager.Date) holds one day per festival (for 2026: Oct 1 but not
Oct 2-7, no Qingming), and OSM knows nothing of working weekend days (调休上班).

How the calendar gets in: the parser decides a day's hours from the rules that match
that day and the day before (a span past midnight belongs to the day it starts on).
So every local day D is evaluated on a variant of the value in which each weekday item
(``Mo-Fr``, ``Sa``, ``PH``) is replaced by the real weekday names of those of D-1 and D
it matches on our calendar: ``PH`` matches a day of a holiday break, and a weekday range
sees an adjusted working day as the weekday it works as (2026-10-10, a Saturday, as
the Wednesday it pays for; see :mod:`maps.cn_calendar` for why). Nothing else changes,
and dates, months and weeks are still the parser's, on the real date. Days with
nothing special on either side share one variant, in which ``PH`` never matches. An
item with a position in the month (``Mo[1]``) keeps its real weekday. Variants are made
from the value as written ("Sa PH" read as "Sa,PH", as the parser reads it), not from
the parser's rendering, which does not always read back the same.

One reading differs from the parser's: a rule that is only a comment
(``Mo-Fr 08:00-18:00 || "by appointment"``) is unknown, as the OSM specification and
opening_hours.js read it; the parser would call it open, and a passer-by would run to
a locked cabinet.

Not evaluated (the value is reported, and shown as unknown): ``SH`` (no school-holiday
calendar for China), ``PH`` with a day offset (``PH +1 day``), and anything the parser
refuses. An empty value means "not given" and is unknown too, never open or closed.

Answers are concrete times: :func:`intervals` gives the open, closed and unknown spans
between two instants, :func:`open_state` whether a place is open at an instant and
when that next changes (within :data:`LOOKAHEAD`). Both are computed per distinct value
and local day and cached, so ten thousand records cost a handful of parser calls. The
map page gets the spans for :data:`WINDOW_DAYS` days (see :mod:`maps.payload`) and reads
them as :func:`open_state` would.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import opening_hours
from opening_hours import OpeningHours
from opening_hours import State as ParserState

from maps.cn_calendar import day as calendar_day

#: What 2.1.4 raises for a value it cannot parse; its stubs omit the class (and name
#: SyntaxError, which it does not raise).
ParserError: type[Exception] = opening_hours.ParserError  # type: ignore[attr-defined]

TZ = ZoneInfo("Asia/Shanghai")
#: Where "sunrise" and "sunset" are reckoned (Yangpu; a minute or so across Shanghai).
SUN_AT = (31.27, 121.53)
#: How far ahead :func:`open_state` looks for the next opening or closing.
LOOKAHEAD = timedelta(days=7)
#: Days of spans the map page gets, from today's local midnight: every instant of the
#: next seven days is covered, whenever today the page is built.
WINDOW_DAYS = 8

State = Literal["open", "closed", "unknown"]
_STATES: dict[ParserState, State] = {
    ParserState.OPEN: "open", ParserState.CLOSED: "closed", ParserState.UNKNOWN: "unknown",
}
_WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
# The parser takes weekdays in any case (with a warning), holidays in capitals only.
_WD = "(?i:" + "|".join(_WEEKDAYS) + ")"
# A weekday item: "PH", "Sa", "Mo-Fr"; not "Mo[1]" (a position in the month).
_ITEM = re.compile(rf"(?<![A-Za-z])(?:PH|({_WD})(?:-({_WD}))?)(?![A-Za-z\[])")
# "Sa PH" and "PH Mo-Fr" mean "Sa,PH" and "PH,Mo-Fr" to the parser; with a comma the
# items can be swapped for weekday lists.
_SPACE_BEFORE_PH = re.compile(rf"(?<![A-Za-z])({_WD}(?:-{_WD})?) +(?=PH(?![A-Za-z]))")
_SPACE_AFTER_PH = re.compile(rf"(?<![A-Za-z])PH +(?={_WD}(?![A-Za-z]))")
# A rule that is nothing but a comment ('|| "by appointment"').
_COMMENT_RULE = re.compile(r'(^|;|\|\|)\s*("[^"]*")\s*(?=$|;|\|\|)')
_SH = re.compile(r"(?<![A-Za-z])SH(?![A-Za-z])")
_PH_OFFSET = re.compile(r"(?<![A-Za-z])PH *[+-] *\d+ *days?")
# SH never matches without a country: the item that matches no day.
_NEVER = "SH"


@dataclass(frozen=True, slots=True)
class HoursCheck:
    """What an opening-hours value means: usable, or why not.

    ``reason`` (English, from the parser's message) is what the registry editor and the
    importer show; ``column`` (1-based) is where the problem starts. A valid value
    carries the parser's own rendering (``normalized``) and its ``warnings``."""

    value: str
    valid: bool
    reason: str | None = None
    column: int | None = None
    normalized: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OpenState:
    """Open at a moment, and when that changes (within :data:`LOOKAHEAD`, UTC);
    ``open`` is None when unknown."""

    open: bool | None
    opens_at: datetime | None = None
    closes_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """``[start, end)`` (aware, UTC) in one state."""

    start: datetime
    end: datetime
    state: State


@dataclass(frozen=True, slots=True)
class _Item:
    """A weekday item of the value, as written: ``PH``, or weekdays ``first..last``
    (0 = Monday)."""

    text: str
    holiday: bool
    first: int = 0
    last: int = 0

    def matches(self, d: date) -> bool:
        today = calendar_day(d)
        if self.holiday:
            return today.holiday
        return (today.weekday - self.first) % 7 <= (self.last - self.first) % 7


@dataclass(frozen=True, slots=True)
class _Expr:
    """A value cut into text and weekday items."""

    parts: tuple[str | _Item, ...]

    @property
    def has_holiday(self) -> bool:
        return any(isinstance(p, _Item) and p.holiday for p in self.parts)

    @property
    def has_weekdays(self) -> bool:
        return any(isinstance(p, _Item) and not p.holiday for p in self.parts)

    def render(self, item_text: Callable[[_Item], str]) -> str:
        return "".join(p if isinstance(p, str) else item_text(p) for p in self.parts)

    def ordinary(self) -> str:
        """The value for a day with nothing special on it or the day before."""
        return self.render(lambda p: _NEVER if p.holiday else p.text)

    def on(self, d: date) -> str:
        """The value as the parser must read it for day ``d`` (see the module docstring)."""
        days = (d - timedelta(days=1), d)
        return self.render(lambda p: ",".join(
            _WEEKDAYS[x.weekday()] for x in days if p.matches(x)) or _NEVER)

    def special(self, d: date) -> bool:
        """Does day ``d`` need its own variant (a holiday or a swap on it or the day before)?"""
        for x in (d - timedelta(days=1), d):
            cal = calendar_day(x)
            if (cal.holiday and self.has_holiday) or (
                    cal.works_as is not None and self.has_weekdays):
                return True
        return False


def _outside_comments(text: str) -> Iterator[tuple[bool, str]]:
    """(is_syntax, piece) in order: comments are the double-quoted pieces."""
    for i, piece in enumerate(text.split('"')):
        if i % 2:
            yield False, f'"{piece}"'
        elif piece:
            yield True, piece


def _weekday(name: str) -> int:
    return _WEEKDAYS.index(name.capitalize())


def _cut(text: str) -> _Expr:
    # The parser reads a rule that is only a comment as open; the OSM specification
    # (and opening_hours.js) as unknown, which is what "by appointment" means at a
    # cabinet that may be locked.
    text = _COMMENT_RULE.sub(r"\1 unknown \2", text)
    parts: list[str | _Item] = []
    for syntax, piece in _outside_comments(text):
        if not syntax:
            parts.append(piece)
            continue
        piece = _SPACE_AFTER_PH.sub("PH,", _SPACE_BEFORE_PH.sub(r"\1,", piece))
        pos = 0
        for m in _ITEM.finditer(piece):
            parts.append(piece[pos:m.start()])
            if m.group(1) is None:
                parts.append(_Item(m.group(0), True))
            else:
                first = _weekday(m.group(1))
                last = _weekday(m.group(2)) if m.group(2) else first
                parts.append(_Item(m.group(0), False, first, last))
            pos = m.end()
        parts.append(piece[pos:])
    return _Expr(tuple(p for p in parts if p != ""))


@lru_cache(maxsize=4096)
def _parse(text: str) -> OpeningHours:
    # No country: the parser's holiday table must never be consulted (PH is ours). The
    # sun needs coordinates and the time zone found from them (Asia/Shanghai here).
    return OpeningHours(text, timezone=TZ, coords=SUN_AT, auto_country=False)


# --- checking a value -----------------------------------------------------------------

#: The parser's grammar names, in words a volunteer can act on.
_EXPECTED = {
    "EOI": "the end of the value",
    "any_rule_separator": "';' between rules",
    "rules_modifier": "open, closed, off or unknown",
    "always_open": "24/7",
    "small_range_selectors": "weekdays such as Mo-Fr, or PH",
    "weekday_range": "weekdays such as Mo-Fr",
    "wday": "a weekday: Mo Tu We Th Fr Sa Su",
    "week_selector": "week numbers such as week 01-26",
    "monthday_range": "a date such as Oct 01",
    "year": "a year",
    "comment": 'a comment in double quotes',
    "timespan": "a time span such as 08:00-18:00",
    "timespan_plus": "'-' and an end time, such as 08:00-18:00",
    "holiday": "PH",
    "plus_or_minus": "'+' or '-'",
}
#: Full-width and look-alike characters a Chinese keyboard gives, and what OSM wants.
_HALF_WIDTH = {
    "：": ":", "－": "-", "–": "-", "—": "-", "～": "-", "~": "-", "至": "-", "；": ";",
    "，": ",", "、": ",", "　": " ", "（": "(", "）": ")", "＂": '"', "“": '"', "”": '"',
}
_EXAMPLES = "e.g. 24/7, Mo-Fr 08:00-18:00; PH off, Mo-Su 20:00-06:00"
_POSITION = re.compile(r"-->\s*(\d+):(\d+)")


def _readable(text: str, error: str) -> tuple[str, int | None]:
    """The parser's message as one sentence a volunteer can act on, and its column."""
    m = _POSITION.search(error)
    column = int(m.group(2)) if m else None
    # Chinese words first: they explain the full-width characters that come with them.
    if re.search(r"全天|全年|24\s*小时|二十四小时", text):
        return f"for open all day, every day, write 24/7; {_EXAMPLES}", column
    if re.search(r"[周星期]|节假日|工作日", text):
        return (f"weekdays are written Mo Tu We Th Fr Sa Su (周一 = Mo ... 周日 = Su) and "
                f"public holidays (节假日) PH; {_EXAMPLES}", column)
    for i, ch in enumerate(text):
        if ch in _HALF_WIDTH:
            return (f"character {i + 1} is '{ch}': write '{_HALF_WIDTH[ch]}' (half-width) "
                    f"instead; {_EXAMPLES}", i + 1)
    at = f"at character {column}" if column else "here"
    rest = text[column - 1:column + 15] if column else ""
    where = f" (“{rest}”)" if rest else ""
    last = error.strip().splitlines()[-1].strip().removeprefix("= ")
    if last.startswith("expected "):
        names = [n.strip() for n in re.split(r",\s*(?:or\s+)?|\s+or\s+",
                                             last.removeprefix("expected "))]
        words = list(dict.fromkeys(_EXPECTED.get(n, n.replace("_", " ")) for n in names if n))
        return f"not understood {at}{where}: expected {', or '.join(words)}; {_EXAMPLES}", column
    if "unexpected EOI" in last:
        return f"the value stops too early {at}; {_EXAMPLES}", column
    return f"not understood {at}{where}; {_EXAMPLES}", column


def _unsupported(text: str) -> str | None:
    syntax = "".join(piece for is_syntax, piece in _outside_comments(text) if is_syntax)
    if _SH.search(syntax):
        return ("school holidays (SH) are not known for mainland China: write the dates "
                "instead, e.g. Jul 01-Aug 31 off")
    if _PH_OFFSET.search(syntax):
        return ("a day before or after a holiday (PH +1 day) is not supported: write the "
                "dates instead, e.g. 2026 Oct 08 off")
    return None


@lru_cache(maxsize=4096)
def _check(text: str) -> tuple[HoursCheck, _Expr | None]:
    if not text:
        return HoursCheck(text, True), None
    try:
        parsed = OpeningHours(text, auto_country=False, auto_timezone=False)
    except ParserError as exc:
        why, column = _readable(text, str(exc))
        return HoursCheck(text, False, why, column), None
    # The parser's rendering is for people: it does not always read back the same
    # ('|| "call"' comes back as '|| 24/7 "call"', which is open), so the variants are
    # made from the value as written.
    canonical = str(parsed)
    warnings = tuple(parsed.warnings)
    reason = _unsupported(text)
    if reason is None:
        expr = _cut(text)
        try:
            _parse(expr.ordinary())
            _parse(expr.render(lambda _item: "Mo,Tu"))
        except ParserError:
            reason = ("weekdays and PH must be joined by a comma here (Sa,PH): this form "
                      "cannot be evaluated on China's holiday calendar")
        else:
            return HoursCheck(text, True, None, None, canonical, warnings), expr
    return HoursCheck(text, False, reason, None, canonical, warnings), None


def _text(value: str | None) -> str:
    return " ".join((value or "").split())


def check_hours(value: str) -> HoursCheck:
    """Is this an opening-hours value we can evaluate? An empty value is valid (no
    hours given: unknown). ``value`` in the answer is the text with runs of whitespace
    made single, which is what is evaluated."""
    return _check(_text(value))[0]


# --- evaluating -----------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
#: A local day: its midnight and its spans (start, end, state), in microseconds since
#: the Unix epoch (integers keep the many small comparisons cheap).
Day = tuple[int, tuple[tuple[int, int, State], ...]]


def _us(at: datetime) -> int:
    return (at - _EPOCH) // _US


@lru_cache(maxsize=65536)
def _day(text: str, d: date) -> Day:
    expr = _check(text)[1]
    assert expr is not None  # only evaluable values get here
    variant = expr.on(d) if expr.special(d) else expr.ordinary()
    midnight = datetime(d.year, d.month, d.day, tzinfo=TZ)
    spans = tuple(
        (_us(start), _us(end), _STATES[state])
        for start, end, state, _comment in _parse(variant).intervals(
            midnight, midnight + timedelta(days=1))
    )
    return _us(midnight), spans


def _aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {at!r}")


def _merged(text: str, start: datetime, end: datetime) -> list[list[Any]]:
    """[start_us, end_us, state] over ``[start, end)``, adjacent spans of a state merged."""
    lo, hi = _us(start), _us(end)
    merged: list[list[Any]] = []
    d = start.astimezone(TZ).date()
    while True:
        midnight, spans = _day(text, d)
        if midnight >= hi:
            break
        for s, e, state in spans:
            a, b = max(s, lo), min(e, hi)
            if a >= b:
                continue
            if merged and merged[-1][2] == state and merged[-1][1] == a:
                merged[-1][1] = b
            else:
                merged.append([a, b, state])
        d += timedelta(days=1)
    return merged


def _at(us: int) -> datetime:
    return _EPOCH + us * _US


def intervals(value: str, start: datetime, end: datetime) -> tuple[Span, ...] | None:
    """The spans of ``[start, end)`` (aware) in which the place is open, closed or
    unknown, in order, adjacent spans of one state merged; None when the value is
    empty or cannot be evaluated (unknown throughout)."""
    _aware(start, "start")
    _aware(end, "end")
    text = _text(value)
    if _check(text)[1] is None:
        return None
    return tuple(Span(_at(a), _at(b), state) for a, b, state in _merged(text, start, end))


def open_state(value: str, at: datetime) -> OpenState:
    """Open, closed or unknown at ``at`` (aware); when open, when it closes, when
    closed, when it opens next: each only within :data:`LOOKAHEAD` (else None)."""
    _aware(at, "at")
    text = _text(value)
    if _check(text)[1] is None:
        return OpenState(None)
    horizon = at + LOOKAHEAD
    spans = _merged(text, at, horizon)
    if not spans or spans[0][2] == "unknown":
        return OpenState(None)
    if spans[0][2] == "open":
        closes = spans[0][1]
        return OpenState(True, None, _at(closes) if closes < _us(horizon) else None)
    opens = next((s[0] for s in spans if s[2] == "open"), None)
    return OpenState(False, None if opens is None else _at(opens), None)


def window(now: datetime) -> tuple[datetime, datetime]:
    """The span of time the map page gets hours for: :data:`WINDOW_DAYS` days from the
    local midnight of ``now`` (aware), in UTC."""
    _aware(now, "now")
    today = now.astimezone(TZ).date()
    start = datetime(today.year, today.month, today.day, tzinfo=TZ)
    return start.astimezone(UTC), (start + timedelta(days=WINDOW_DAYS)).astimezone(UTC)
