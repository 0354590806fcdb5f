"""Room on the interpreter's stack for libcst's recursive code.

libcst builds a chain of operators or of adjacent string literals as a nested tree (a
256-literal table is 256 levels deep), and its visitors, its code generator and dssync's own
walks recurse about three Python frames a level. Python's default limit of 1,000 frames stops
them near 320 levels, well below what real modules hold. ``deep_recursion`` raises the limit by
``EXTRA_FRAMES`` while libcst's trees are parsed, walked and printed; ``guard.MAX_DEPTH`` keeps
every tree shallow enough to fit in that room and far below the depth at which libcst's native
parser overflows its C stack.

From Python 3.11 a call between Python functions takes no C stack, so a higher limit costs
memory only; the frames that do recurse in C (a generator per bracket in libcst's visitor)
are bounded by Python's own 200 nested brackets. On 3.10 every frame takes C stack: there the
limit is left alone and the guard keeps its old bound.
"""

from __future__ import annotations

import functools
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")

RAISES = sys.version_info >= (3, 11)

EXTRA_FRAMES = 2_500
"""Frames added to the limit: ``guard.MAX_DEPTH`` levels at about four frames each (three
measured), plus room for the code between them."""

_lock = threading.Lock()
_holders = 0
_restore = 0


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Raise the recursion limit for the block (once, however many threads or nested blocks
    hold it); the limit found is put back when the last holder leaves, unless someone else
    changed it meanwhile."""
    global _holders, _restore
    if not RAISES:
        yield
        return
    with _lock:
        if _holders == 0:
            _restore = sys.getrecursionlimit()
            sys.setrecursionlimit(_restore + EXTRA_FRAMES)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and sys.getrecursionlimit() == _restore + EXTRA_FRAMES:
                sys.setrecursionlimit(_restore)


def deeply(func: Callable[_P, _R]) -> Callable[_P, _R]:
    """``func`` run inside ``deep_recursion``: for the functions that parse, walk and print
    libcst's trees from start to end (a table's extraction, a merge, a scan)."""

    @functools.wraps(func)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with deep_recursion():
            return func(*args, **kwargs)

    return run
