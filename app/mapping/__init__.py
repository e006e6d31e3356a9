"""Mapping: the one table of statuses (statuses.py), domain objects to map records for
maps/ (map_records.py), the nearest-AED search (nearest.py), the worklist (worklist.py)
and what the public may see (public_policy.py)."""
