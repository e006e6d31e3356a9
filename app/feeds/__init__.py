"""The public feed of AEDs and its pushes to platforms (issue 16).

- :mod:`app.feeds.record` is the public record of an AED: what platforms may know of it
  (OSM ``emergency=defibrillator`` tags, its public status, the dates that matter), read
  with one lean query, and whether the feed shows it at all.
- :mod:`app.feeds.changes` is the one place that notices a changed record: called by
  every writer through app/aeds/refresh.py, in the writer's transaction, it moves the
  record's ``updated_at`` and queues a push to each platform.
- :mod:`app.feeds.pushes` writes those pushes into the notification outbox (retries,
  backoff, claims: app/notify/dispatch.py; signing: app/notify/platform.py).
- :mod:`app.feeds.platforms` reads ``[feeds.<name>]`` from the channels file.
- :mod:`app.feeds.pages` reads a page of the feed (everything, or what changed since a
  moment, tombstones included) and :mod:`app.feeds.formats` writes it as GeoJSON or CSV.
"""
