"""The NumPy backend's ``cumsum`` kernel: a running sum in two levels of whole-array adds.

NumPy's own ``cumsum`` (``np.add.accumulate``) runs one element at a time: about 3 ns each
along the last axis, and about 30 along any other, where it strides through memory
(docs/performance.md). Along the last axis of a float32/float64 array the scan is two
matrix products instead (``_last_axis``): blocks of ``b`` elements times a ``b x b``
triangle of ones, then each block's total times a strict triangle over the blocks (the
offsets). Along the others the scanned axis is moved
first (a copy), cut into ``B`` blocks of ``m`` (about ``sqrt(n)`` each), and each of the
``m - 1`` steps within the blocks, the ``B - 1`` steps over the blocks' totals and the final
addition of each block's offset is one NumPy call over whole contiguous rows of the other
dims. The sums are associated by blocks, not in sequence, which changes float results by
rounding only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_MIN_LENGTH = 64
"""Below this many elements along the axis, NumPy's own scan is as fast."""

_ELEMENTS_PER_CALL = 360
"""The blocked scan makes about ``2 sqrt(n)`` NumPy calls of about 1 us each and two copies;
it pays once the array has more than this many elements per call (NumPy's scan costs about
6 ns an element)."""


def cumsum(x: Any, axis: int) -> Any:
    """Running sum of ``x`` along ``axis``, in ``x``'s dtype."""
    n = x.shape[axis]
    if (
        axis == x.ndim - 1
        and x.dtype.kind == "f"
        and x.itemsize >= 4
        and n >= _MIN_LENGTH
        and x.size >= _MIN_PRODUCT_SIZE
    ):
        return _last_axis(x)
    if (
        axis == x.ndim - 1
        or x.dtype.kind not in "iufc"
        or n < _MIN_LENGTH
        or x.size < _ELEMENTS_PER_CALL * 2 * math.isqrt(n)
    ):
        return np.cumsum(x, axis, dtype=x.dtype)
    m = math.isqrt(n)
    blocks = -(-n // m)
    rest = tuple(s for i, s in enumerate(x.shape) if i != axis)
    # (blocks, m, rows): the scanned axis first (a copy, transposing unless it is already),
    # zeros past its end, so that every step below is one call on contiguous rows.
    work = np.zeros((blocks * m, x.size // n), x.dtype)
    work[:n] = np.moveaxis(x, axis, 0).reshape(n, -1)
    v = work.reshape(blocks, m, -1)
    for j in range(1, m):
        np.add(v[:, j], v[:, j - 1], out=v[:, j])
    totals = v[:, m - 1]  # (blocks, rows): each block's sum, made the running sum of them
    for b in range(1, blocks):
        np.add(totals[b], totals[b - 1], out=totals[b])
    np.add(v[1:, : m - 1], totals[:-1, None], out=v[1:, : m - 1])  # the offset of each block
    out = work[:n].reshape(n, *rest)
    return out if axis == 0 else np.ascontiguousarray(np.moveaxis(out, 0, axis))


_MIN_PRODUCT_SIZE = 8192
"""Below this many elements ``_last_axis``'s fixed cost (three products, an addition and the
check) is more than NumPy's scan takes (measured: docs/performance.md, "By op")."""

_BLOCK = 16
"""Elements per block of ``_last_axis``: its products cost ``2 * b`` multiply-adds an element
(and ``2 * n / b`` for the offsets), against NumPy's sequential scan's one addition."""

_MAX_BLOCKS = 256
"""Past this many blocks the offsets' product costs more than the blocks' own; the totals are
then scanned by ``np.cumsum`` instead (a short scan, ``n / b`` elements a row)."""

_TRIANGLES: dict[tuple[int, Any, int], Any] = {}


def _triangle(n: int, dtype: Any, k: int) -> Any:
    """``(n, n)`` ones on and above diagonal ``k`` (cached per size, dtype and ``k``)."""
    key = (n, np.dtype(dtype), k)
    tri = _TRIANGLES.get(key)
    if tri is None:
        tri = _TRIANGLES[key] = np.triu(np.ones((n, n), dtype), k)
    return tri


def _last_axis(x: Any) -> Any:
    """``np.cumsum(x, -1)`` of a float32/float64 ``x`` as BLAS products: each block of
    ``_BLOCK`` elements times the triangle of ones (its running sums), and the blocks'
    totals times the strict triangle (the offset each block adds). A product's zeros turn an
    infinity or NaN into NaN where the sequential scan has none, so a result that is not
    finite throughout (its sum is not) is redone with ``np.cumsum``."""
    n, b = x.shape[-1], _BLOCK
    blocks = -(-n // b)
    if n % b or not x.flags.c_contiguous:  # zeros past the end: whole blocks, in one buffer
        work = np.zeros((*x.shape[:-1], blocks * b), x.dtype)
        work[..., :n] = x
    else:
        work = x
    with np.errstate(invalid="ignore", over="ignore"):  # the non-finite case is redone
        v = np.matmul(work.reshape(-1, blocks, b), _triangle(b, x.dtype, 0))
        totals = v[:, :, b - 1]
        if blocks > _MAX_BLOCKS:
            offsets = np.cumsum(totals, 1, dtype=x.dtype) - totals
        else:
            offsets = np.matmul(totals, _triangle(blocks, x.dtype, 1))
        np.add(v, offsets[:, :, None], out=v)
        out = v.reshape(*x.shape[:-1], blocks * b)[..., :n]
        finite = np.isfinite(np.sum(out))
    if not finite:
        return np.cumsum(x, -1, dtype=x.dtype)
    return out if n % b == 0 else np.ascontiguousarray(out)
