"""Pausing Python's cyclic garbage collector around work that allocates millions of small objects.

A load (cells, records, nodes, relationships) and a national graph's bottlenecks or gaps report
(the rows of hundreds of thousands of supplies and operations, the tuples and lists made from
them) allocate objects that form no cycles; the collector walks them again and again as they pile
up, a fifth of a load's time and a tenth of a 1M-relationship bottlenecks report's. Pausing
changes no result: whatever is cyclic is collected when it resumes.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0  # pauses in progress (the API's threads may load and report at once); the last one resumes
_resume = False


@contextmanager
def gc_paused():
    """Pause the collector for the block (nested and threaded uses count; a collector that was
    off stays off). Also a decorator: ``@gc_paused()``."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
