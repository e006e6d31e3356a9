"""How a status shows on the map, as the caller describes it: this library owns no words.

The app hands :func:`maps.builder.build_map` a legend: for each kind, its statuses in the
order the legend lists them, each with its label in the reader's language, a fill colour,
an ink colour readable on that fill, a glyph (so colour never carries the meaning alone)
and one of the marker shapes the page's stylesheet draws.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from maps.records import KINDS

#: The marker shapes ``static/aedmap/aedmap.css`` draws.
Shape = Literal["circle", "square", "diamond"]
SHAPES: tuple[Shape, ...] = ("circle", "square", "diamond")


@dataclass(frozen=True, slots=True)
class StatusLook:
    status: str
    label: str
    colour: str
    #: Text colour that stays readable on ``colour``.
    ink: str
    glyph: str
    shape: Shape

    def __post_init__(self) -> None:
        if self.shape not in SHAPES:
            raise ValueError(f"unknown marker shape {self.shape!r}")


#: Kind -> its statuses in legend order.
Legend = Mapping[str, Sequence[StatusLook]]


def legend_config(legend: Legend) -> dict[str, list[dict[str, str]]]:
    """The legend as plain dicts for the page config (the page script's shape)."""
    unknown = set(legend) - set(KINDS)
    if unknown:
        raise ValueError(f"legend for unknown kinds: {sorted(unknown)}")
    return {kind: [dataclasses.asdict(look) for look in looks] for kind, looks in legend.items()}
