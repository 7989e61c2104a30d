"""A dtype table of a library whose dtype objects are not NumPy's dtype instances: JAX's
``jnp.float32`` is a scalar type while its arrays report ``numpy.dtype`` objects (issue 19)."""

from __future__ import annotations

import pytest

import tensorplug as tp
from tensorplug.plugins import DtypeTable, dtype_table

jnp = pytest.importorskip("jax.numpy")


def test_the_guides_dtype_table_works_for_jax() -> None:
    table = dtype_table(jnp, library="jax")
    assert table[tp.float32] is jnp.float32  # the namespace's own object, a scalar type
    assert table.dtype_of(jnp.zeros(2, jnp.float32)) is tp.float32
    assert table.dtype_of(jnp.zeros(2, jnp.int32)) is tp.int32
    assert table.dtype_of(jnp.zeros(2, bool)) is tp.bool


def test_a_table_of_scalar_types_written_by_hand() -> None:
    table = DtypeTable({tp.float32: jnp.float32, tp.int32: jnp.int32}, library="JAX")
    assert table.dtype_of(jnp.ones(2, jnp.float32)) is tp.float32
    with pytest.raises(TypeError, match=r"JAX dtype .*uint8.* has no tensorplug equivalent"):
        table.dtype_of(jnp.ones(2, jnp.uint8))
