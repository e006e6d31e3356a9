"""Which registered AED an imported record is, so that importing OpenStreetMap or another
registry never creates a second AED where we already have one.

An incoming record is the registered AED it links to (a source reference kept from an
earlier import: the OSM element, a `ref:*` tag); otherwise a registered AED of the same
kind within the match radius (setting IMPORT_MATCH_RADIUS_M, 50 m by default) whose
`ref` or name is compatible with it. One such AED is a match; two or more are a
conflict, which the import lists and does not apply; none means the record is new.

Names are compatible when they do not contradict each other: after folding case, width
and punctuation and dropping generic words ("AED", "除颤仪"), one equals or contains the
other (not inside a number: "3号" does not fit "13号"), or either says nothing beyond
the generic words (OSM has many AEDs named just "AED", or not at all).

Positions are looked up in a grid of cells about the radius wide, so a file of n
records against m registered AEDs costs about n + m, not n × m; distances are WGS-84
geodesics (maps.geo.distance_m).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from maps.geo import bbox_around, distance_m

T = TypeVar("T")

#: The link key of an OSM element ("node/123"), beside the element's own `ref:*` tags.
OSM_KEY = "osm"
#: Words that name the kind of thing, not which one it is.
GENERIC_WORDS = ("自动体外除颤器", "自动体外除颤仪", "自动除颤器", "除颤仪", "除颤器",
                 "defibrillator", "aed")
_NOT_WORD = re.compile(r"[\W_]+")

Outcome = Literal["new", "matched", "conflict"]


@dataclass(frozen=True, slots=True)
class Known:
    """A registered asset as matching sees it."""

    id: int
    external_id: str
    kind: str
    name: str
    name_en: str
    lat: float
    lon: float
    retired: bool = False


@dataclass(frozen=True, slots=True)
class Incoming:
    """A record of the file: where it is, what it is called, its `ref` and its links."""

    kind: str
    lat: float
    lon: float
    name: str = ""
    name_en: str = ""
    ref: str = ""
    links: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Match:
    outcome: Outcome
    known: Known | None = None
    distance_m: float | None = None
    #: Why, in English, for the report ("linked by osm=node/1", "2 registered AEDs fit").
    reason: str = ""


class PointGrid(Generic[T]):
    """Items bucketed by position in cells about ``cell_m`` wide: the items within a
    radius of a point without looking at the others."""

    def __init__(self, items: Iterable[tuple[float, float, T]], cell_m: float) -> None:
        # Degrees of latitude per cell; longitude cells are as many degrees (narrower on
        # the ground), which only means a few more cells per query.
        self._cell = max(cell_m, 1.0) / 111_000.0
        self._cells: dict[tuple[int, int], list[tuple[float, float, T]]] = defaultdict(list)
        for lat, lon, item in items:
            self.add(lat, lon, item)

    def _key(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self._cell), math.floor(lon / self._cell)

    def add(self, lat: float, lon: float, item: T) -> None:
        self._cells[self._key(lat, lon)].append((lat, lon, item))

    def within(self, lat: float, lon: float, radius_m: float) -> list[tuple[float, T]]:
        """(distance in metres, item) of every item within ``radius_m``, nearest first."""
        min_lat, min_lon, max_lat, max_lon = bbox_around(lat, lon, radius_m)
        (lat0, lon0), (lat1, lon1) = self._key(min_lat, min_lon), self._key(max_lat, max_lon)
        if (lat1 - lat0 + 1) * (lon1 - lon0 + 1) > len(self._cells):
            buckets: Iterable[list[tuple[float, float, T]]] = self._cells.values()
        else:
            buckets = (self._cells.get((i, j), []) for i in range(lat0, lat1 + 1)
                       for j in range(lon0, lon1 + 1))
        found = []
        for bucket in buckets:
            for plat, plon, item in bucket:
                if min_lat <= plat <= max_lat and min_lon <= plon <= max_lon:
                    d = distance_m(lat, lon, plat, plon)
                    if d <= radius_m:
                        found.append((d, item))
        found.sort(key=lambda pair: pair[0])
        return found


def normalise_name(name: str | None) -> str:
    """The name folded for comparison, without generic words and punctuation."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    for word in GENERIC_WORDS:
        text = text.replace(word, " ")
    return _NOT_WORD.sub("", text)


def _fits(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    start = long_.find(short)
    while start >= 0:
        end = start + len(short)
        before = long_[start - 1] if start else ""
        after = long_[end] if end < len(long_) else ""
        # Not in the middle of a number: "3号" is not "13号", "aed1" is not "aed10".
        if not ((before.isdigit() and short[0].isdigit())
                or (after.isdigit() and short[-1].isdigit())):
            return True
        start = long_.find(short, start + 1)
    return False


def names_compatible(incoming: Iterable[str], known: Iterable[str]) -> bool:
    ours = [n for n in map(normalise_name, known) if n]
    theirs = [n for n in map(normalise_name, incoming) if n]
    if not ours or not theirs:
        return True
    return any(_fits(a, b) for a in theirs for b in ours)


class Matcher:
    """The registered assets and their source links, asked one incoming record at a time.

    A registered asset is claimed by the first record that matches it; a second record of
    the same file that would match it too is a conflict (the file holds two records of one
    AED, or two AEDs we hold as one)."""

    def __init__(self, known: Iterable[Known], links: Iterable[tuple[str, str, int]],
                 radius_m: float) -> None:
        self.radius_m = radius_m
        self._by_id = {k.id: k for k in known}
        self._links: dict[tuple[str, str], int] = {(key, value): aid for key, value, aid in links}
        self._refs: dict[int, set[str]] = defaultdict(set)
        for (_, value), aid in self._links.items():
            self._refs[aid].add(value)
        self._grid = PointGrid(((k.lat, k.lon, k) for k in self._by_id.values() if not k.retired),
                               radius_m)
        self._claimed: set[int] = set()

    def known_link(self, key: str, value: str) -> bool:
        return (key, value) in self._links

    def remember_link(self, key: str, value: str, asset_id: int) -> None:
        self._links[(key, value)] = asset_id
        self._refs[asset_id].add(value)

    def match(self, rec: Incoming) -> Match:
        found = self._find(rec)
        if found.known is not None and found.outcome == "matched":
            if found.known.id in self._claimed:
                return Match("conflict", found.known, found.distance_m,
                             f"{found.known.external_id} is matched by an earlier record "
                             "of this file too")
            self._claimed.add(found.known.id)
        return found

    def _find(self, rec: Incoming) -> Match:
        linked = {self._links[(k, v)] for k, v in rec.links.items() if (k, v) in self._links}
        if len(linked) > 1:
            names = ", ".join(sorted(self._by_id[a].external_id for a in linked if a in self._by_id))
            return Match("conflict", reason=f"its source references link different AEDs: {names}")
        if linked:
            known = self._by_id.get(linked.pop())
            if known is not None:
                dist = distance_m(rec.lat, rec.lon, known.lat, known.lon)
                if known.retired:
                    return Match("conflict", known, dist,
                                 f"it links {known.external_id}, which is retired")
                key, value = next((k, v) for k, v in sorted(
                    rec.links.items(), key=lambda kv: kv[0] != OSM_KEY)
                    if self._links.get((k, v)) == known.id)
                return Match("matched", known, dist, f"linked by {key}={value}")
        near = [(d, k) for d, k in self._grid.within(rec.lat, rec.lon, self.radius_m)
                if k.kind == rec.kind]
        by_ref = [(d, k) for d, k in near
                  if rec.ref and (rec.ref == k.external_id or rec.ref in self._refs[k.id])]
        fitting = by_ref or [(d, k) for d, k in near if names_compatible(
            (rec.name, rec.name_en), (k.name, k.name_en))]
        if len(fitting) == 1:
            dist, known = fitting[0]
            how = "ref" if by_ref else "name"
            return Match("matched", known, dist,
                         f"{dist:.0f} m from {known.external_id}, compatible {how}")
        if fitting:
            listed = ", ".join(f"{k.external_id} ({d:.0f} m)" for d, k in fitting[:5])
            return Match("conflict", reason=f"{len(fitting)} registered AEDs within "
                         f"{self.radius_m:.0f} m fit it: {listed}")
        return Match("new")
