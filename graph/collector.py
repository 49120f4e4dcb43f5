"""Pausing Python's cyclic garbage collector around work that allocates millions of small objects.

A load (cells, records, nodes, relationships) and a national graph's bottlenecks or gaps report
(the rows of hundreds of thousands of supplies and operations, the tuples and lists made from
them) allocate objects that form no cycles; the collector walks them again and again as they pile
up, a fifth of a load's time and a tenth of a 1M-relationship bottlenecks report's. Pausing
changes no result: whatever is cyclic is collected when it resumes.

The API serves reports from several threads: under a steady load one pause may begin before the
last ends, so the collector would never resume. A pause that has lasted
:data:`LONGEST_PAUSE_SECONDS` while others keep it going collects once as a pause ends, so cyclic
garbage stays bounded.
"""

from __future__ import annotations

import gc
import threading
import time
from contextlib import contextmanager

LONGEST_PAUSE_SECONDS = 30.0

_lock = threading.Lock()
_depth = 0  # pauses in progress (the API's threads may load and report at once); the last one resumes
_resume = False
_since = 0.0  # when the collector last ran or the pause began
_clock = time.monotonic


@contextmanager
def gc_paused():
    """Pause the collector for the block (nested and threaded uses count; a collector that was
    off stays off). Also a decorator: ``@gc_paused()``."""
    global _depth, _resume, _since
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            _since = _clock()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
            overdue = _depth > 0 and _resume and _clock() - _since >= LONGEST_PAUSE_SECONDS
            if overdue:
                _since = _clock()
        if overdue:
            gc.collect()
