"""A dtype table of a library whose dtype objects are not NumPy's dtype instances: JAX's
``jnp.float32`` is a scalar type while its arrays report ``numpy.dtype`` objects (issue 19).

Run in a child process: JAX, once imported, warns at every ``os.fork`` (the data loader's
workers fork), which this suite turns into errors."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="needs jax (pip install jax)"
)

CHECK = """
import jax.numpy as jnp
import tensorplug as tp
from tensorplug.plugins import DtypeTable, dtype_table

table = dtype_table(jnp, library="jax")
assert table[tp.float32] is jnp.float32  # the namespace's own object, a scalar type
assert table.dtype_of(jnp.zeros(2, jnp.float32)) is tp.float32
assert table.dtype_of(jnp.zeros(2, jnp.int32)) is tp.int32
assert table.dtype_of(jnp.zeros(2, bool)) is tp.bool

mine = DtypeTable({tp.float32: jnp.float32, tp.int32: jnp.int32}, library="JAX")
assert mine.dtype_of(jnp.ones(2, jnp.float32)) is tp.float32
try:
    mine.dtype_of(jnp.ones(2, jnp.uint8))
except TypeError as e:
    assert "JAX dtype uint8 has no tensorplug equivalent" in str(e), e
else:
    raise AssertionError("uint8 was matched")
"""


def test_the_guides_dtype_tables_work_for_jax() -> None:
    r = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
