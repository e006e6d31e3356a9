"""The reach rule equals a brute-force WGS-84 geodesic check (geopy) of every cell."""

from __future__ import annotations

import numpy as np
import pytest
from geopy.distance import geodesic

from app.coverage.grid import Grid, make_grid
from app.coverage.reach import approx_distance_m, cells_within
from tests.coverage.layouts import LAT, LON, rectangle


def brute_force(grid: Grid, lat: float, lon: float, reach_m: float) -> list[int]:
    return [c for c in range(grid.size)
            if geodesic((lat, lon), (grid.lat[c], grid.lon[c])).meters <= reach_m]


@pytest.mark.parametrize(("cell_m", "reach_m", "side_m"),
                         [(25.0, 160.0, 500.0), (10.0, 50.0, 200.0), (50.0, 300.0, 800.0)])
def test_cells_within_reach_equal_the_geodesic_check(cell_m: float, reach_m: float,
                                                     side_m: float) -> None:
    grid = make_grid([rectangle(LAT, LON, side_m / cell_m, side_m / cell_m, cell_m)], cell_m)
    rng = np.random.default_rng(17)
    points = [(LAT + float(a) * grid.rows * grid.dlat, LON + float(b) * grid.cols * grid.dlon)
              for a, b in rng.uniform(-0.1, 1.1, size=(7, 2))]
    # One exactly on a cell centre.
    points.append((float(grid.lat[40]), float(grid.lon[40])))
    found = cells_within(grid, points, reach_m)
    for (lat, lon), cells in zip(points, found, strict=True):
        assert cells.tolist() == brute_force(grid, lat, lon, reach_m)


def test_the_short_line_distance_agrees_with_the_geodesic() -> None:
    rng = np.random.default_rng(3)
    lat1 = rng.uniform(31.2, 31.3, 200)
    lon1 = rng.uniform(121.4, 121.6, 200)
    lat2 = lat1 + rng.uniform(-0.009, 0.009, 200)
    lon2 = lon1 + rng.uniform(-0.01, 0.01, 200)
    approx = approx_distance_m(lat1, lon1, lat2, lon2)
    exact = np.array([geodesic((a, b), (c, d)).meters
                      for a, b, c, d in zip(lat1, lon1, lat2, lon2, strict=True)])
    assert np.abs(approx - exact).max() < 1e-4
