"""Coverage: where an AED that is ready and open lies within reach (docs/coverage.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from app.api.schemas.fields import Timestamp
from app.coverage.answers import MAX_K
from app.coverage.payload import Coords
from app.coverage.week import HOURS

#: Moments the calendar can answer for.
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


def in_years(at: datetime) -> bool:
    """Within the years coverage is answered for (EARLIEST–LATEST)."""
    early, late = ((EARLIEST, LATEST) if at.tzinfo is not None
                   else (EARLIEST.replace(tzinfo=None), LATEST.replace(tzinfo=None)))
    return early <= at <= late


class CoverageQuery(BaseModel):
    at: datetime | None = Field(None, description=(
        "ISO 8601 moment (default: now); without an offset it is local time (TIMEZONE). "
        "Between 2000 and 2100 (the holiday calendar's years), else 422."))
    coords: Coords = Field("wgs84", description="gcj02 shifts the grid for a GCJ-02 map.")


class Grid(BaseModel):
    """The raster: cell (row r, column c) spans latitudes lat0 + r·dlat … lat0 + (r+1)·dlat
    and longitudes lon0 + c·dlon … lon0 + (c+1)·dlon; raster index r·cols + c."""

    lat0: float
    lon0: float
    dlat: float
    dlon: float
    rows: int
    cols: int
    cell_m: float
    coords: Coords


class CoverageAt(BaseModel):
    at: Timestamp
    share: float = Field(ge=0, le=1, description="Weighted share of the area covered.")
    cells: int = Field(ge=0, description="Cells of the area.")
    covered: int = Field(ge=0, description="Cells covered.")
    reach_m: float
    grid: Grid
    runs: list[int] = Field(description=(
        "The area's cells as runs of raster indices, [start, length, start, length, ...]."))
    covered_bits: str = Field(description=(
        "One bit per cell in the order of runs, most significant bit first, base64: "
        "1 = covered."))


class WorstHours(BaseModel):
    start: int = Field(ge=0, lt=HOURS, description="Hour of the week, 0 = Monday 00:00.")
    end: int = Field(gt=0, le=HOURS, description="Exclusive.")
    starts_at: Timestamp
    share: float = Field(ge=0, le=1)


class CoverageWeek(BaseModel):
    """The typical week (Monday 00:00 local time, no holidays), each hour judged at its
    middle, as the scheduler's coverage job last computed it."""

    week_starts_at: Timestamp
    computed_at: Timestamp
    hours: list[float] = Field(min_length=HOURS, max_length=HOURS, description=(
        "168 weighted shares covered, from Monday 00:00 local time."))
    mean: float = Field(ge=0, le=1)
    worst: list[WorstHours] = Field(description="The runs of hours at the lowest share.")


class KQuery(BaseModel):
    k: int = Field(5, ge=1, le=MAX_K, description="How many.")


class Suggestion(BaseModel):
    lat: float
    lon: float
    gain: float = Field(ge=0, le=1, description=(
        "Share of the area-week it adds (weighted cells × 168 hours), after those before."))


class Suggestions(BaseModel):
    """New AEDs (ready, open round the clock) chosen greedily, best first."""

    candidates: str = Field(description="configured (COVERAGE_CANDIDATES) or cells.")
    week_mean_before: float = Field(ge=0, le=1)
    week_mean_after: float = Field(ge=0, le=1)
    suggestions: list[Suggestion]


class Cabinet(BaseModel):
    asset_id: int
    name: str
    hours: str = Field(description="Its opening hours now.")
    gain: float = Field(ge=0, le=1, description=(
        "Share of the area's night hours it would add, open round the clock."))


class Cabinets(BaseModel):
    """Existing AEDs that would add the most night coverage moved to a 24/7 outdoor
    cabinet where they stand, most first."""

    night_hours: list[int] = Field(description="Local hours of the day counted as night.")
    cabinets: list[Cabinet]
