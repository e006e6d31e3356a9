"""Coverage: where a collapse finds a ready, open AED within reach, now and at every hour
of a typical week (docs/coverage.md).

The model is pure and works on arrays (numpy): a metric grid over the area of interest
(:mod:`grid`, from the GeoJSON read by :mod:`geojson`), the cells within reach of a
point (:mod:`reach`, exact against the WGS-84 geodesic), and per-cell cover counts
(:mod:`model`) from which coverage now, the 168-hour profile, each AED's criticality and
the planning answers (:mod:`planning`) are read. The database side is thin: the AEDs'
stored state in (:mod:`state`), the figures out (:mod:`store`), the writer's hook
(:mod:`freshness`) and the scheduler's job (:mod:`jobs`).
"""
