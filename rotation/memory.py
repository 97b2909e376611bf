"""Memory housekeeping shared by the bulk readers and builders."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while building many small acyclic objects (rows, teachers):
    its repeated full passes over the growing heap cost about a fifth of the reading time at
    100,000 teachers. Reference counting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
