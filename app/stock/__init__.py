"""First-aid stock at stations: the shortage maths against par levels (shortage.py), the
station alert rules (alerts.py, expiry.py), restock tasks (tasks.py), the one restock
operation (restock.py), what a station needs (needs.py) and the jobs (jobs.py)."""
