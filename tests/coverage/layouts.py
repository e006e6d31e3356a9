"""Small hand-made layouts for the coverage table tests.

A strip of 100 m cells one row high: with a reach of 110 m an AED standing on a cell's
centre reaches that cell and its two neighbours (100 m away) and nothing else (the next
are 200 m away), so every layout's covered cells can be written down by hand."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from app.coverage.geojson import Polygon
from app.coverage.grid import Grid, make_grid, metres_per_degree
from app.coverage.model import AedState, CoverageModel

TZ = ZoneInfo("Asia/Shanghai")
#: An ordinary week (no public holiday, no adjusted working day): Monday 9 March 2026.
WEEK = datetime(2026, 3, 9, tzinfo=TZ)
CELL_M = 100.0
REACH_M = 110.0
LAT, LON = 31.2550, 121.5200


def rectangle(lat: float, lon: float, rows: float, cols: float, cell_m: float,
              weight: float = 1.0) -> Polygon:
    """A rectangle ``rows`` × ``cols`` cells tall and wide from (lat, lon) south-west."""
    m_lat, m_lon = metres_per_degree(lat + rows * cell_m / 2 / 111_000)
    top, right = lat + rows * cell_m / m_lat, lon + cols * cell_m / m_lon
    ring = np.array([[lon, lat], [right, lat], [right, top], [lon, top], [lon, lat]])
    return Polygon((ring,), weight)


def strip(cells: int = 8, weights: tuple[Polygon, ...] = ()) -> Grid:
    # A hair short of whole cells, so the raster is exactly ``cells`` × 1.
    return make_grid([rectangle(LAT, LON, 0.99, cells - 0.01, CELL_M)], CELL_M, weights)


def at_cell(grid: Grid, cell: int, aed_id: int, hours: str = "24/7",
            ready: bool = True) -> AedState:
    return AedState(aed_id, float(grid.lat[cell]), float(grid.lon[cell]), hours, ready)


def model(grid: Grid, states: list[AedState], week: datetime = WEEK) -> CoverageModel:
    out = CoverageModel(grid, REACH_M, week)
    out.sync(states)
    return out


def local(week_hour: int) -> datetime:
    """The middle of an hour of the test week (0 = Monday 00:00–01:00), local time."""
    return datetime(2026, 3, 9 + week_hour // 24, week_hour % 24, 30, tzinfo=TZ)
