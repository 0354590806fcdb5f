"""Pausing Python's cyclic garbage collector while libcst's trees of whole modules are alive."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """libcst's trees hold hundreds of thousands of small objects and no cycles; while they
    are built and rewritten, the cyclic collector walks every live object again and again to
    find nothing. ``update`` pauses it: that earns 31-32 % of an update of 20,000 lines. (It
    earned 3-5 % of reading a module, where small pieces are parsed and let go, so reading
    no longer pauses it; see tests/benchmarks/README.md.)"""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
