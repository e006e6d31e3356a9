"""AEDs and their readiness: the one evaluation of an AED's facts (evaluation.py), how
its facts are read (facts.py) and applied in the writer's transaction (refresh.py), the
reconciliation and the deadline job (reconcile.py, deadlines.py), and the operations
people perform on an AED: the monthly check, pad and battery replacement, closing a use
incident, maintenance mode."""
