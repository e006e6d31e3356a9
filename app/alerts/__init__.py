"""Alerts: the one catalogue of kinds (catalogue.py), applying a wanted set so alerts
follow state (apply.py), the lifecycle people drive (lifecycle.py: acknowledge,
resolve, comment, assign), lead-time stages (stages.py), words per language
(texts.py, words.toml, subjects.py), repeats and escalation, the daily digest, and the
alert and scheduler policy (policy.py)."""
