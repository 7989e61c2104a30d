"""Counting ops without a gradient (as PyTorch's): ``unique_consecutive`` (runs of equal
elements or slices) and ``histogram`` (counts in bins with their edges, optionally weighted
or as a density)."""

# Composed of tensorplug's public ops and of Tensor methods bound at import (_methods),
# which the checker sees as Any:
# mypy: disable-error-code="no-any-return, attr-defined"

from __future__ import annotations

import builtins
from typing import Any

from . import _dtype as D
from . import return_types as R
from ._ops_sort import _check_tensor
from ._tensor import Tensor


def _tp() -> Any:
    import tensorplug

    return tensorplug


def unique_consecutive(input: Tensor, return_inverse: bool = False,
                       return_counts: bool = False, dim: int | None = None) -> Any:  # fmt: skip
    """The first of each run of equal consecutive elements (``dim``: of equal slices along
    it), with where each element went (``return_inverse``) and the runs' lengths.

    >>> import tensorplug as tp
    >>> tp.unique_consecutive(tp.tensor([1, 1, 2, 1])).tolist()
    [1, 2, 1]
    """
    tp = _tp()
    x = _check_tensor("unique_consecutive", input)
    with tp.no_grad():
        if dim is None:
            src, axis = x.reshape(-1), 0
        else:
            axis = dim % builtins.max(x.ndim, 1)
            src = x if x.ndim else x.reshape(1)
        n = src.shape[axis] if src.ndim else 1
        if n == 0:
            new = tp.zeros(0, dtype=D.bool_, backend=x._backend)
        else:
            differs = src.narrow(axis, 1, n - 1) != src.narrow(axis, 0, n - 1)
            if differs.ndim > 1:
                others = [d for d in range(differs.ndim) if d != axis]
                differs = differs.any(tuple(others)) if others else differs
            first = tp.ones(1, dtype=D.bool_, backend=x._backend)
            new = tp.cat([first, differs.reshape(-1)])
        starts = new.nonzero().reshape(-1)
        values = src.index_select(axis, starts)
        out: tuple[Tensor, ...] = (values,)
        if return_inverse:
            inverse = new.to(D.int64).cumsum(0) - 1
            out += (inverse.reshape(x.shape) if dim is None else inverse,)
        if return_counts:
            ends = tp.cat([starts[1:], tp.tensor([n], dtype=D.int64, backend=x._backend)])
            out += (ends - starts,)
    return out if len(out) > 1 else values


def histogram(input: Tensor, bins: Any, *, range: Any = None, weight: Tensor | None = None,
              density: bool = False) -> R.histogram:  # fmt: skip
    """``(hist, bin_edges)``: the counts (or summed ``weight``) of ``input`` in ``bins``
    equal bins over ``range`` (default: the data's; widened by 0.5 each way when it is one
    value), or in the bins between the edges of the 1-d tensor ``bins``; the last bin holds
    its right edge. ``density``: normalised to integrate to 1.

    >>> import tensorplug as tp
    >>> tp.histogram(tp.tensor([1.0, 2.0, 1.0]), 3, range=(0.0, 3.0)).hist.tolist()
    [0.0, 2.0, 1.0]
    """
    tp = _tp()
    x = _check_tensor("histogram", input)
    if not x.dtype.is_floating_point:
        name = {"int64": "Long", "int32": "Int", "bool": "Bool"}.get(x.dtype.name, x.dtype.name)
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{name}'")
    with tp.no_grad():
        flat = x.reshape(-1)
        edges = _edges(tp, flat, bins, range)
        nb = edges.numel() - 1
        k = x._backend.k
        lo, hi = edges[0], edges[-1]
        inside = (flat >= lo) & (flat <= hi)
        pos = tp.searchsorted(edges, flat, right=True) - 1
        pos = tp.where(pos >= nb, nb - 1, pos).clamp(min=0)
        w = inside.to(x.dtype) if weight is None else tp.where(inside, weight.reshape(-1), 0.0)
        hist = Tensor._make(k.index_grad(w._data, (nb,), pos._data, True), x._backend)
        if density:
            hist = hist / (hist.sum() * (edges[1:] - edges[:-1]))
    return R.histogram((hist, edges))


def _edges(tp: Any, flat: Tensor, bins: Any, range: Any) -> Tensor:
    if isinstance(bins, Tensor):
        if bins.ndim != 1 or bins.numel() < 2:
            raise RuntimeError("torch.histogram(): bins tensor should have one dimension and at "
                               "least 2 elements")  # fmt: skip
        return bins.to(flat.dtype)
    if not isinstance(bins, int) or bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if range is not None:
        lo, hi = float(range[0]), float(range[1])
    elif flat.numel():
        lo, hi = float(flat.min().item()), float(flat.max().item())
    else:
        lo, hi = 0.0, 1.0
    if lo > hi:
        raise RuntimeError(f"torch.histogram(): max must be larger than min, but got min {lo} "
                           f"max {hi}")  # fmt: skip
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return tp.linspace(lo, hi, bins + 1, dtype=flat.dtype, backend=flat._backend)
