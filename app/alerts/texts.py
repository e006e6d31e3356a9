"""Alert words in the reader's language: each kind's title, its text rendered from
structured fields whenever it is shown or sent, and how it ended (its resolution).

A text is built from the kind, the subject's name in the reader's language, the alert's
``detail`` (the keys per kind are in app/alerts/catalogue.py) and its expiry ``stage``,
never from a stored sentence. Each kind lists sentences fullest first; the first whose
slots all have values is used, and when none has (an old row, a key missing) the kind's
title stands as its generic sentence. Moments show in TIMEZONE, the way people write
them (app/i18n/when.py).

Slots are detail keys, ``stage`` (when above 0) and two derived kinds: ``item_names``
(the names in a ``stock_low`` list) and ``{key}_none``, an empty slot present when the
detail holds the key with no value ("never seen", "never checked").
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from string import Formatter
from typing import Any, Protocol

from app.alerts.catalogue import COVERAGE_LOST
from app.i18n.when import local_day, local_moment
from app.i18n.words import Words, is_english


class AlertFacts(Protocol):
    """What a text is made of (an :class:`app.models.Alert` has all of it)."""

    @property
    def kind(self) -> str: ...

    @property
    def detail(self) -> Mapping[str, Any] | None: ...

    @property
    def stage(self) -> int | None: ...


@dataclass(frozen=True)
class KindWords:
    title: Words
    #: Fullest first, with ``{slot}`` fields.
    sentences: tuple[Words, ...] = ()
    #: Words for the codes of a ``cause`` detail.
    causes: Mapping[str, Words] | None = None


#: The words of every kind, kept as data beside this module for whoever translates.
WORDS_FILE = Path(__file__).with_name("words.toml")


def _pair(raw: Mapping[str, Any]) -> Words:
    return Words(str(raw["zh"]), str(raw["en"]))


#: The table of resolution words in that file (every other table is a kind but this).
RESOLUTIONS_TABLE = "resolutions"
#: The table of the words for what an AED's alert costs in coverage (app/coverage).
COVERAGE_TABLE = "coverage_cost"


def load_words(path: Path = WORDS_FILE) -> dict[str, KindWords]:
    data = tomllib.loads(path.read_text("utf-8"))
    return {
        code: KindWords(
            title=_pair(entry["title"]),
            sentences=tuple(_pair(s) for s in entry.get("sentences", ())),
            causes={c: _pair(w) for c, w in entry.get("causes", {}).items()} or None,
        )
        for code, entry in data.items() if code not in (RESOLUTIONS_TABLE, COVERAGE_TABLE)
    }


def load_resolution_words(path: Path = WORDS_FILE) -> dict[str, Words]:
    data = tomllib.loads(path.read_text("utf-8"))
    return {code: _pair(raw) for code, raw in data.get(RESOLUTIONS_TABLE, {}).items()}


WORDS: dict[str, KindWords] = load_words()
COVERAGE_WORDS: Words = _pair(tomllib.loads(WORDS_FILE.read_text("utf-8"))[COVERAGE_TABLE])
RESOLUTION_WORDS: dict[str, Words] = load_resolution_words()
#: "superseded by aed_in_use": the code, then the kind that took the alert's place.
SUPERSEDED = "superseded"
#: "retired: 设备报废": the asset was retired (app/registry), then the reason given.
RETIRED = "retired"

SEVERITY_WORDS: dict[str, Words] = {
    "urgent": Words("紧急", "Urgent"), "critical": Words("严重", "Critical"),
    "warning": Words("警告", "Warning"), "info": Words("提示", "Info"),
}
SEVERITY_GLYPHS: dict[str, str] = {"urgent": "‼", "critical": "✕", "warning": "!", "info": "i"}
STATE_WORDS: dict[str, Words] = {
    "open": Words("未处理", "Open"), "acknowledged": Words("已确认", "Acknowledged"),
    "resolved": Words("已解决", "Resolved"),
}

#: How each detail key is read and written (dates are local days, moments UTC).
DAY_KEYS = frozenset({"expiry", "due", "earliest"})
MOMENT_KEYS = frozenset({"at", "since", "last_seen"})
NUMBER_KEYS = frozenset({"temp_c", "min_c", "max_c", "battery_pct", "min_pct", "limit_min",
                         "lots", "items", "responders", "minimum"})
ID_KEYS = frozenset({"device"})
CODE_KEYS = frozenset({"cause"})
KNOWN_KEYS = DAY_KEYS | MOMENT_KEYS | NUMBER_KEYS | ID_KEYS | CODE_KEYS


def _slots(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name)


def title(kind: str, locale: str | None) -> str:
    """The kind's name, e.g. "电极片即将过期" / "Pads expiring"; an unknown kind shows its code."""
    words = WORDS.get(kind)
    return words.title.in_(locale) if words else kind


def severity_word(severity: str, locale: str | None) -> str:
    words = SEVERITY_WORDS.get(severity)
    return words.in_(locale) if words else severity


def state_word(state: str, locale: str | None) -> str:
    words = STATE_WORDS.get(state)
    return words.in_(locale) if words else state


def resolution_text(resolution: str | None, locale: str | None, subject: str = "") -> str:
    """How an alert ended, in ``locale``, led by ``subject`` when given: a resolution code
    in words ("cleared" → "已恢复正常" / "back to normal", "superseded by aed_in_use" →
    "已转为“AED 被取出使用”", "retired: 设备报废" → "已停用:设备报废"); anything else is a
    person's own words, shown as typed."""
    code, _, newer = (resolution or "").partition(" by ")
    retired, _, reason = (resolution or "").partition(": ")
    if code == SUPERSEDED and newer:
        sentence = RESOLUTION_WORDS[SUPERSEDED].in_(locale).format(kind=title(newer, locale))
    elif retired == RETIRED and reason:
        sentence = RESOLUTION_WORDS[RETIRED].in_(locale).format(reason=reason)
    else:
        words = (RESOLUTION_WORDS.get(resolution or "")
                 if code != SUPERSEDED and resolution != RETIRED else None)
        sentence = words.in_(locale) if words else (resolution or "")
    return _led(subject, sentence, locale)


def text(alert: AlertFacts, locale: str | None, tz: tzinfo, subject: str = "",
         now: datetime | None = None) -> str:
    """The alert as one sentence in ``locale``, led by ``subject`` (the asset's, site's or
    gateway's name in that language) when given; moments in ``tz``, the year only when it
    is not ``now``'s (default: the current moment)."""
    sentence = _sentence(alert, locale, tz, now or datetime.now(UTC))
    return _led(subject, sentence + _coverage_cost(alert, locale), locale)


def _coverage_cost(alert: AlertFacts, locale: str | None) -> str:
    """", coverage cost: 1.2 % ..." when coverage has marked the alert (app/coverage)."""
    detail = alert.detail if isinstance(alert.detail, Mapping) else {}
    shown = _number(detail.get(COVERAGE_LOST))
    return COVERAGE_WORDS.in_(locale).format(coverage_lost=shown) if shown is not None else ""


def _led(subject: str, sentence: str, locale: str | None) -> str:
    """"滨江AED1:…" / "Riverside AED 1: …", or the sentence alone without a subject."""
    if not subject:
        return sentence
    return f"{subject}: {sentence}" if is_english(locale) else f"{subject}:{sentence}"


def _sentence(alert: AlertFacts, locale: str | None, tz: tzinfo, now: datetime) -> str:
    words = WORDS.get(alert.kind)
    if words is None:
        return alert.kind
    values = _values(words, alert, locale, tz, now)
    for sentence in words.sentences:
        template = sentence.in_(locale)
        if _slots(template) <= values.keys():
            return template.format_map(values)
    return words.title.in_(locale)


def _values(words: KindWords, alert: AlertFacts, locale: str | None, tz: tzinfo,
            now: datetime) -> dict[str, str]:
    detail = alert.detail if isinstance(alert.detail, Mapping) else {}
    today = now.astimezone(tz).date()
    values: dict[str, str] = {}
    for key, raw in detail.items():
        if raw is None:
            values[f"{key}_none"] = ""
            continue
        shown = _show(key, raw, words, locale, tz, now, today)
        if shown is not None:
            values[key] = shown
    names = detail.get("items")
    if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
        values["item_names"] = (", " if is_english(locale) else "、").join(names)
    if isinstance(alert.stage, int) and alert.stage > 0:
        values["stage"] = str(alert.stage)
    return values


def _show(key: str, raw: object, words: KindWords, locale: str | None, tz: tzinfo,
          now: datetime, today: date) -> str | None:
    """One detail value as the reader writes it; None when it cannot be read."""
    if key in DAY_KEYS:
        day = _day(raw, tz)
        return local_day(day, locale, today) if day else None
    if key in MOMENT_KEYS:
        moment = _moment(raw)
        return local_moment(moment, locale, tz, now) if moment else None
    if key in NUMBER_KEYS:
        if isinstance(raw, list):
            raw = len(raw)
        return _number(raw)
    if key in ID_KEYS:
        return str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    if key in CODE_KEYS:
        cause = (words.causes or {}).get(str(raw))
        return cause.in_(locale) if cause else None
    return None


def _number(raw: object) -> str | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        return None
    rounded = round(float(raw), 1)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.1f}"


def _moment(raw: object) -> datetime | None:
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            return None
    else:
        return None
    # Moments in details are UTC; a naive one was written without its offset.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _day(raw: object, tz: tzinfo) -> date | None:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    # A moment where a day was meant: the day it is where the thing stands.
    moment = _moment(raw)
    return moment.astimezone(tz).date() if moment else None
