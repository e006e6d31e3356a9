"""The one table of statuses: how urgent each is, how it looks and what it is called.

Three families, one per map layer: an AED's readiness (computed by app/aeds/evaluation.py),
a first-aid station's restock state and a gateway's link state (both derived in
app/mapping/map_records.py). Every page, the map legend, the worklist and the map's
"most urgent first" order read this table; nothing else names or ranks a status.

Each family lists its statuses most urgent first; the position is the rank. Colours are
the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies), and
every status also has its own glyph and word, so colour never carries the meaning alone.
Shapes tell the families apart on the map: AED circle, station square, gateway diamond.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.i18n.words import Words
from maps.records import Kind
from maps.status_style import Shape, StatusLook

# The Okabe-Ito palette, and grey for "we do not know".
GREEN, ORANGE, VERMILLION, PURPLE = "#009E73", "#E69F00", "#D55E00", "#CC79A7"
BLUE, YELLOW, BLACK, GREY, WHITE = "#0072B2", "#F0E442", "#000000", "#999999", "#ffffff"

UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Status:
    code: str
    glyph: str
    colour: str
    #: Text colour that stays readable on ``colour``.
    ink: str
    words: Words


@dataclass(frozen=True)
class Family:
    kind: Kind
    shape: Shape
    #: Most urgent first.
    statuses: tuple[Status, ...]

    def __post_init__(self) -> None:
        if UNKNOWN not in self.codes:
            raise ValueError(f"{self.kind}: every family has an {UNKNOWN!r} status")

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.statuses)

    def get(self, code: str | None) -> Status:
        """The status of ``code``; anything this table does not know reads as unknown."""
        for status in self.statuses:
            if status.code == code:
                return status
        return self.get(UNKNOWN)

    def rank(self, code: str | None) -> int:
        """0 for the most urgent; an unknown code ranks as ``unknown``."""
        return self.codes.index(self.get(code).code)

    @property
    def ranks(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    def word(self, code: str | None, locale: str | None) -> str:
        return self.get(code).words.in_(locale)


_UNKNOWN = Status(UNKNOWN, "?", GREY, BLACK, Words("状态未知", "Status unknown"))

AED = Family("aed", "circle", (
    Status("in_use", "⚡", PURPLE, BLACK, Words("使用中", "In use")),
    Status("not_ready", "✕", VERMILLION, WHITE, Words("不可用", "Not ready")),
    _UNKNOWN,
    Status("attention", "!", ORANGE, BLACK, Words("需关注", "Needs attention")),
    Status("ready", "✓", GREEN, WHITE, Words("可用", "Ready")),
))
STATION = Family("station", "square", (
    Status("empty", "0", VERMILLION, WHITE, Words("物资耗尽", "Out of supplies")),
    Status("low", "↓", ORANGE, BLACK, Words("物资不足", "Supplies low")),
    Status("expiring", "⌛", YELLOW, BLACK, Words("物资即将过期", "Supplies expiring")),
    _UNKNOWN,
    Status("ok", "✓", GREEN, WHITE, Words("物资充足", "Stocked")),
))
GATEWAY = Family("gateway", "diamond", (
    Status("offline", "✕", BLACK, WHITE, Words("离线", "Offline")),
    _UNKNOWN,
    Status("online", "●", BLUE, WHITE, Words("在线", "Online")),
))

FAMILIES: dict[str, Family] = {f.kind: f for f in (AED, STATION, GATEWAY)}


def family(kind: str) -> Family:
    try:
        return FAMILIES[kind]
    except KeyError:
        raise ValueError(f"no statuses for kind {kind!r}") from None


def legend(locale: str | None) -> dict[str, list[StatusLook]]:
    """What the map draws for each status, in the reader's language, most urgent first."""
    return {
        f.kind: [StatusLook(s.code, s.words.in_(locale), s.colour, s.ink, s.glyph, f.shape)
                 for s in f.statuses]
        for f in FAMILIES.values()
    }
