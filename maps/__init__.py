"""Map building for the AED tracker: a library with no knowledge of Flask or the database.

The app turns its domain objects into :class:`maps.records.MapRecord` values, describes
how each status looks and what it is called (:class:`maps.status_style.StatusLook`) and
gives the page texts: this library owns no words in any language. Then it calls:

- :func:`maps.builder.build_map_html` for a whole map page (embedded data or bbox mode),
- :func:`maps.builder.features_payload` for the JSON the page's bbox mode fetches,
- :func:`maps.geo.bbox_around` / :func:`maps.geo.rank_nearest` for the nearest-AED API,
- :func:`maps.builder.nearest_payload` for that API's JSON list,
- :func:`maps.hours.check_hours` and :func:`maps.hours.open_state` for whether an OSM
  ``opening_hours`` value is understood and "open now" (China's holidays included).

Static assets (Leaflet, markercluster, the page script) live in ``maps/static`` and must be
served by the app under the URL prefix passed to the builder (default ``/static/maps/``).
"""
