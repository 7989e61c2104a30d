"""The NumPy backend's ``cumsum`` kernel: a running sum in two levels of whole-array adds.

NumPy's own ``cumsum`` (``np.add.accumulate``) runs one element at a time: about 3 ns each
along the last axis, and about 30 along any other, where it strides through memory
(docs/performance.md). Along the last axis it stays (moving that axis first costs two
transposing copies, as much as the scan saves). Along the others the scanned axis is moved
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
