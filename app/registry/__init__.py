"""The registry: sites, AEDs and first-aid kits as people create, edit and retire them.

- :mod:`app.registry.rules` is the one validator: the web forms, the API and the
  CSV/GeoJSON import hand it what was typed or sent and get typed values, or every
  problem at once, field by field.
- :mod:`app.registry.operations` creates, edits and retires, in the caller's
  transaction: references checked against the database, the AED re-evaluated at once
  when a readiness input changed, retirement recorded with its reason.
- :mod:`app.registry.words` holds the texts people read (zh-CN and English).
"""
