"""Python's cycle collector in processes that make many short-lived objects.

Rows, facts, records and decoded messages are freed by reference counting; almost none
sit in a cycle. Left alone, the collector still runs every 700 allocations over every
young object alive, and now and then over the whole heap: a pass over many AEDs, a page
of thousands of features or a batch of a thousand messages pays a quarter to a half of
its time for collections that find next to nothing.

- `cycle_collection_paused()` around such a pass (the switch is the process's: a pass
  that ends first in another thread turns it back on, which is harmless; it is never
  left off).
- `settle_long_lived()` once a long-running process has started: what its imports and
  set-up made lives as long as the process, so it is moved out of the collector's view
  (`gc.freeze`) instead of being rescanned by every full collection, and young
  collections wait for more allocations.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Young collections once this many more tracked objects were made than freed, instead
# of 700: a batch of messages holds tens of thousands until it ends; the few real cycles
# (a session's bookkeeping) wait a little longer.
LONG_LIVED_GEN0 = 50_000


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def settle_long_lived(gen0: int = LONG_LIVED_GEN0) -> None:
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0, gen1, gen2)
