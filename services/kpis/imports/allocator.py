"""polars' allocator settings for the kpis service, applied before polars is loaded.

polars allocates through its own jemalloc, configured only by the environment variable
``_RJEM_MALLOC_CONF`` read when polars is first loaded. polars itself starts from
``dirty_decay_ms:500,muzzy_decay_ms:1000`` and appends whatever the variable holds (later
options win): this package sets the variable (unless the operator already has) on
import, and nothing in the service loads polars before this package.

``dirty_decay_ms`` is how long freed pages stay mapped for reuse before going back to the
system. An import churns through its blocks (~10 MB of frames each, several in flight):

- 0 returns every freed page at once, and the next block faults fresh pages in again:
  measured on the 1.6M-row benchmark, 1.0-1.2 s more system time and 0.6-0.7 s more wall
  time per import (bench/imports/RESULTS.md, stop 12). The benchmark used to set it;
- jemalloc's own default (10 s) keeps about the last ten seconds of churn resident;
- 1 s (this default) is as fast as either default, and keeps resident memory bounded by
  the rate of work, not the file's size.

``muzzy_decay_ms:0``: pages given back are unmapped outright, not left lazily freed
(``MADV_FREE``), so they stop counting in the resident size at once.
"""

from __future__ import annotations

import os

ENV = "_RJEM_MALLOC_CONF"
MALLOC_CONF = "dirty_decay_ms:1000,muzzy_decay_ms:0"


def configure() -> str:
    """Set polars' allocator configuration unless it is set already; returns the one in
    force. Has no effect once polars is loaded (jemalloc reads it once)."""
    return os.environ.setdefault(ENV, MALLOC_CONF)
