"""The triangles of the last two dims (``tril``/``triu`` and their gradients): the kept
elements copied by row blocks, a mask only over each block's diagonal band.

One ``where`` over the whole matrix with a full ``(rows, cols)`` mask costs two passes (the
mask's comparison, then the selection) and is several times slower than a copy
(docs/performance.md). For a backend that writes in place, the rows are cut into blocks of
``_BLOCK``; in each, the columns left of the band are kept whole (``tril``; right of it for
``triu``), those on the other side stay zero, and only the band, ``_BLOCK`` columns wide,
goes through ``where``. Matrices under ``_MIN_ELEMENTS``, immutable arrays and recorded
ops (a gradient that builds a graph) take the one ``where``.
"""

from __future__ import annotations

from typing import Any

from ._contract import Array

_BLOCK = 64
"""Rows per block: the band's ``where`` grows with it, the number of calls (three a block)
shrinks (measured best on 1000 x 1000)."""

_MIN_ELEMENTS = 1 << 16
"""Matrices smaller than this take the one ``where``: its mask is cheap there and the blocks'
calls cost more than they save (measured: docs/performance.md, "By op")."""


def tri_mask(k: Any, shape: tuple[int, ...], diagonal: int, lower: bool, like: Array) -> Array:
    """Bool ``(rows, cols)``: where ``tril`` (``lower``: ``col <= row + diagonal``) or
    ``triu`` (``col >= row + diagonal``) keeps the element; one broadcast comparison."""
    r, c = shape[-2], shape[-1]
    cols, rows = k.iota(c, (1, c), like), k.add(k.iota(r, (r, 1), like), diagonal)
    return k.le(cols, rows) if lower else k.ge(cols, rows)


def triangle(k: Any, x: Array, diagonal: int, lower: bool) -> Array:
    """``x`` with the elements outside its lower (``lower``) or upper triangle of the last
    two dims zeroed: ``tril(x, diagonal)`` or ``triu(x, diagonal)``."""
    shape = tuple(x.shape)
    r, c = shape[-2], shape[-1]
    # A backend's kernels (``full``) get a zero of x's dtype; recorded ops, a number.
    zero = k.full((), 0, k.dtype_of(x)) if hasattr(k, "full") else 0.0
    if r <= _BLOCK or r * c < _MIN_ELEMENTS or not hasattr(k, "setitem"):
        return k.where(tri_mask(k, shape, diagonal, lower, x), x, zero)
    out = k.full(shape, 0, k.dtype_of(x))
    lead = (slice(None),) * (len(shape) - 2)
    for r0 in range(0, r, _BLOCK):
        r1 = min(r0 + _BLOCK, r)
        # Columns [lo, hi) hold the block's part of the diagonal band; to their left
        # (tril) or right (triu) every row keeps its elements.
        if lower:
            lo, hi = _clip(r0 + diagonal + 1, c), _clip(r1 + diagonal, c)
            kept = slice(0, lo)
        else:
            lo, hi = _clip(r0 + diagonal, c), _clip(r1 - 1 + diagonal, c)
            kept = slice(hi, c)
        rows = slice(r0, r1)
        if kept.stop > kept.start:
            k.setitem(out, (*lead, rows, kept), k.getitem(x, (*lead, rows, kept)))
        if hi > lo:
            band = (*lead, rows, slice(lo, hi))
            mask = tri_mask(k, (r1 - r0, hi - lo), diagonal + r0 - lo, lower, x)
            k.setitem(out, band, k.where(mask, k.getitem(x, band), zero))
    return out


def _clip(i: int, n: int) -> int:
    return min(max(i, 0), n)
