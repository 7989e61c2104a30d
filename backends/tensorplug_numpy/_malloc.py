"""glibc's ``malloc`` kept from returning NumPy's temporaries to the system between kernels.

A training step makes and frees many temporaries of a few MiB each (a GPT's (1024, 512)
activation is 2 MiB in float32). glibc serves them from its heap once its adaptive threshold
has grown past their size, but it trims the heap's top back to the system whenever more than
twice that threshold lies free there: with several such temporaries freed together, the next
ones fault their pages in afresh, at about a microsecond a page. On the GPT step of
``benchmarks/bench_gpt.py`` that was a third of the step's time (docs/performance.md).

``tune_malloc`` fixes the two thresholds where glibc's adaptive rule would end up for
32 MiB arrays (mmap above 32 MiB, trim above twice that): arrays up to 32 MiB come from the
heap and up to 64 MiB of freed memory stays mapped for the next ones. It is process-wide, so
it stays off where the user has chosen: ``TENSORPLUG_NUMPY_MALLOC=0``, or any of glibc's own
``MALLOC_*`` tuning variables set; and it does nothing on a C library without glibc's
``mallopt`` parameters (musl, macOS, Windows).
"""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter numbers (``malloc.h``)."""

MMAP_THRESHOLD = 32 * 2**20
"""glibc's ceiling for its adaptive mmap threshold on 64-bit systems
(``DEFAULT_MMAP_THRESHOLD_MAX``)."""

TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
"""Twice the mmap threshold, as glibc's adaptive rule sets it."""

ENV = "TENSORPLUG_NUMPY_MALLOC"
USER_TUNING = (
    "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_",
    "GLIBC_TUNABLES",
)  # fmt: skip
"""Environment variables through which a user tunes glibc's malloc: if any is set, theirs rule."""


def tune_malloc() -> str:
    """Set glibc's thresholds (see the module docstring) unless the user opted out or tuned
    malloc themselves; returns what was done, for ``Backend.info``."""
    if os.environ.get(ENV, "1") == "0":
        return f"default ({ENV}=0)"
    if any(name in os.environ for name in USER_TUNING):
        return "default (the environment tunes malloc)"
    if not sys.platform.startswith("linux"):
        return "default (not glibc)"
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return "default (not glibc)"
    ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and libc.mallopt(
        M_TRIM_THRESHOLD, TRIM_THRESHOLD
    )
    return "glibc: mmap above 32 MiB, trim above 64 MiB" if ok else "default (mallopt refused)"
