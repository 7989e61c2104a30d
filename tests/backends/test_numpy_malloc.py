"""The NumPy backend's malloc thresholds (``tensorplug_numpy._malloc``): temporaries of a few
MiB reuse freed memory instead of faulting fresh pages in, and the user's choice wins."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

import tensorplug as tp

resource = pytest.importorskip("resource", reason="page-fault counts need a POSIX system")
GLIBC = sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "gnu_get_libc_version")
GLIBC_MALLOC = GLIBC and not os.environ.get("LD_PRELOAD")
"""malloc is glibc's: no allocator preloaded in its place (the sanitizers' of ``nox -s
sanitize``, jemalloc, tcmalloc), whose ``mallopt`` refuses glibc's settings."""

PROBE = """
import resource, numpy as np, tensorplug as tp
backend = tp.tensor([1.0])._backend
x = np.ones((1024, 1024), np.float32)  # 4 MiB
def temporaries():
    a = x * 2; b = a * 3; c = b * 4; del a, b, c
for _ in range(3):
    temporaries()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    temporaries()
print(backend.info["malloc"], "|", resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def probe(**env: str) -> tuple[str, int]:
    """The backend's ``info["malloc"]`` and the page faults of 60 freed 4 MiB temporaries, in
    a fresh process with ``env`` added (malloc's settings are fixed when the backend loads)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "TENSORPLUG_"))}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env={**clean, **env}, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    info, faults = out.rsplit("|", 1)
    return info.strip(), int(faults)


@pytest.mark.skipif(not GLIBC_MALLOC, reason="the thresholds are glibc malloc's")
def test_freed_temporaries_are_reused_without_faulting_pages_in() -> None:
    info, faults = probe()
    assert info == "glibc: mmap above 32 MiB, trim above 64 MiB"
    assert faults < 1024  # one 4 MiB array's pages; untuned: about 60 x 1024 (next test)


@pytest.mark.skipif(not GLIBC_MALLOC, reason="the thresholds are glibc malloc's")
def test_the_user_opts_out_and_gets_glibcs_defaults() -> None:
    info, faults = probe(TENSORPLUG_NUMPY_MALLOC="0")
    assert info == "default (TENSORPLUG_NUMPY_MALLOC=0)"
    assert faults > 10 * 1024  # what the tuning saves


def test_the_users_own_malloc_tuning_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from tensorplug_numpy._malloc import tune_malloc

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1000000")
    assert tune_malloc() == "default (the environment tunes malloc)"


def test_backend_info_says_what_was_done() -> None:
    assert tp.tensor([1.0])._backend.info["malloc"]
