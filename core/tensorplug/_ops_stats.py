"""Statistics composed of existing ops (PyTorch composes them too, so their gradients come
from the ops they are built of): ``quantile``/``nanquantile`` (five interpolations),
``nansum``, ``nanmean``, ``aminmax``, ``cov``, ``corrcoef``, and the
forward-only ``histc``.
"""

# Composed of tensorplug's public ops and of Tensor methods bound at import (_methods),
# which the checker sees as Any:
# mypy: disable-error-code="no-any-return, attr-defined, arg-type"

from __future__ import annotations

import builtins
import math
from typing import Any

from . import _dtype as D
from . import return_types as R
from ._ops_sort import _check_tensor
from ._tensor import Tensor

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _tp() -> Any:
    import tensorplug

    return tensorplug


def _quantile(op: str, input: Tensor, q: Any, dim: int | None, keepdim: bool,
              interpolation: str, ignore_nan: bool) -> Tensor:  # fmt: skip
    tp = _tp()
    x = _check_tensor(op, input)
    if x.dtype not in (D.float32, D.float64):
        raise RuntimeError(f"{op}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        if q.dtype is not x.dtype:
            raise RuntimeError(f"{op}() q tensor must be same dtype as the input tensor")
        if q.ndim > 1:
            raise RuntimeError(f"{op}() q must be a scalar or 1D tensor")
        qt, scalar = q.detach(), q.ndim == 0
    else:
        qt, scalar = tp.tensor([float(q)], dtype=x.dtype, backend=x._backend), True
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{op}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest. Got {interpolation}")  # fmt: skip
    if qt.numel() and not bool(((qt >= 0) & (qt <= 1)).all()):
        raise RuntimeError(f"{op}() q values must be in the range [0, 1]")
    if dim is None:
        src, out_shape = x.reshape(-1), [1] * x.ndim if keepdim else []
    else:
        d = dim % builtins.max(x.ndim, 1)
        if x.ndim and x.shape[d] == 0 and x.numel():
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")
        src = x.movedim(d, -1) if x.ndim else x.reshape(1)
        out_shape = [s for i, s in enumerate(x.shape) if i != d]
        if keepdim and x.ndim:
            out_shape.insert(d, 1)
    out = _sorted_quantiles(tp, src, qt.reshape(-1), interpolation, ignore_nan)
    out = out.reshape([qt.numel()] + out_shape)  # q first, as PyTorch puts it
    return out.reshape(out_shape) if scalar else out


def _sorted_quantiles(tp: Any, src: Tensor, q: Tensor, how: str, ignore_nan: bool) -> Tensor:
    """The quantiles ``q`` (1-d) of each row of ``src`` (rows along its last dim), shape
    ``(len(q), *rows)``."""
    n = src.shape[-1]
    rows = list(src.shape[:-1])
    if n == 0:
        return tp.full([q.numel()] + rows, math.nan, dtype=src.dtype, backend=src._backend)
    values = tp.sort(src, -1).values  # NaN last
    nans = src.isnan().sum(-1, keepdim=True)
    if ignore_nan:
        last = (n - nans - 1).clamp(min=0).to(src.dtype)
    else:  # any NaN: the rank of the last element, a NaN
        last = tp.where(nans > 0, float(n - 1), tp.full_like(nans, n - 1).to(src.dtype))
        last = last.to(src.dtype)
    rank = q.reshape([-1] + [1] * len(rows) + [1]) * last  # (Q, *rows, 1)
    if how == "lower":
        rank = rank.floor()
    elif how == "higher":
        rank = rank.ceil()
    elif how == "nearest":
        rank = rank.round()
    below = rank.floor().to(D.int64)
    above = rank.ceil().to(D.int64)
    if not ignore_nan:  # where the slice holds a NaN, both ends at its NaN
        at_nan = (nans > 0).expand_as(below)
        below = tp.where(at_nan, n - 1, below)
        above = tp.where(at_nan, n - 1, above)
    full = values.unsqueeze(0).expand([q.numel()] + rows + [n])
    lo = tp.gather(full, -1, below)
    if how in ("lower", "higher", "nearest"):
        return lo.squeeze(-1)
    hi = tp.gather(full, -1, above)
    weight = 0.5 if how == "midpoint" else (rank - below.to(src.dtype))
    return tp.lerp(lo, hi, weight).squeeze(-1)


def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:  # fmt: skip
    """The ``q``-th quantiles (``q`` in [0, 1], a number or a 1-d tensor, whose dim comes
    first in the result) of all elements or along ``dim``; NaN where a slice holds one.

    >>> import tensorplug as tp
    >>> tp.quantile(tp.tensor([1.0, 2.0, 3.0, 4.0]), 0.5).item()
    2.5
    """
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:  # fmt: skip
    """``quantile`` ignoring NaN (NaN only where a slice is all NaN)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *,
           dtype: D.dtype | None = None) -> Tensor:  # fmt: skip
    """The sum treating NaN as 0."""
    tp = _tp()
    x = _check_tensor("nansum", input)
    clean = tp.where(x.isnan(), 0, x) if x.dtype.is_floating_point else x
    return tp.sum(clean, dim, keepdim, dtype=dtype) if dim is not None else tp.sum(
        clean, dtype=dtype).reshape([1] * x.ndim if keepdim else [])  # fmt: skip


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,
            dtype: D.dtype | None = None) -> Tensor:  # fmt: skip
    """The mean of the non-NaN elements (NaN where there are none)."""
    x = _check_tensor("nanmean", input)
    if not x.dtype.is_floating_point:
        raise RuntimeError("nanmean(): expected input to have floating point dtype but got "
                           f"{_torch_dtype(x.dtype)}")  # fmt: skip
    count = nansum((~x.isnan()).to(x.dtype), dim, keepdim)
    return nansum(x, dim, keepdim, dtype=dtype) / count


def _torch_dtype(d: D.dtype) -> str:
    return f"torch.{d.name}" if d.name != "bool" else "torch.bool"


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> R.aminmax:
    """``(min, max)`` of all elements or along ``dim``."""
    tp = _tp()
    x = _check_tensor("aminmax", input)
    if x.numel() == 0 and dim is None:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.")  # fmt: skip
    if dim is None:
        lo, hi = tp.amin(x), tp.amax(x)
        if keepdim:
            lo, hi = lo.reshape([1] * x.ndim), hi.reshape([1] * x.ndim)
        return R.aminmax((lo, hi))
    return R.aminmax((tp.amin(x, dim, keepdim), tp.amax(x, dim, keepdim)))


def cov(input: Tensor, *, correction: int = 1, fweights: Tensor | None = None,
        aweights: Tensor | None = None) -> Tensor:  # fmt: skip
    """The covariance matrix of the variables in the rows of ``input`` (1-d: one variable),
    observations in its columns, weighted by the integer ``fweights`` and the ``aweights``.

    >>> import tensorplug as tp
    >>> tp.cov(tp.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])).tolist()
    [[1.0, -1.0], [-1.0, 1.0]]
    """
    tp = _tp()
    x = _check_tensor("cov", input)
    if x.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.ndim} dimensions")  # fmt: skip
    x = x.reshape(1, -1) if x.ndim < 2 else x
    if not x.dtype.is_floating_point:
        x = x.to(D.get_default_dtype())
    n = x.shape[1]
    w = _weights(fweights, n, "fweights", True)
    if aweights is not None:
        a = _weights(aweights, n, "aweights", False)
        w = a if w is None else w * a
    if w is None:
        w_sum: Any = float(n)
        avg = x.mean(1)
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
    if w is not None and aweights is not None and correction != 0:
        norm = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm = w_sum - correction
    norm = norm.clamp(min=0) if isinstance(norm, Tensor) else builtins.max(norm, 0.0)
    xm = x - avg.unsqueeze(1)
    c = tp.mm(xm, (xm * w).t() if w is not None else xm.t())
    return (c / norm).squeeze()


def _weights(w: Any, n: int, name: str, integral: bool) -> Tensor | None:
    if w is None:
        return None
    if not isinstance(w, Tensor):
        raise TypeError(f"cov(): argument '{name}' must be Tensor, not {type(w).__name__}")
    if w.ndim > 1:
        raise RuntimeError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w.ndim} dimensions")  # fmt: skip
    if w.numel() != n:
        raise RuntimeError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.numel()} != {n}")  # fmt: skip
    if integral and w.dtype.is_floating_point:
        raise RuntimeError(f"cov(): expected fweights to have integral dtype but got "
                           f"fweights with {_torch_dtype(w.dtype)} dtype")  # fmt: skip
    if not integral and not w.dtype.is_floating_point:
        raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got "
                           f"aweights with {_torch_dtype(w.dtype)} dtype")  # fmt: skip
    if w.numel() and bool((w < 0).any()):
        raise RuntimeError(f"cov(): {name} cannot be negative")
    return w


def corrcoef(input: Tensor) -> Tensor:
    """Pearson's correlation coefficients of the rows of ``input`` (``cov`` normalised by
    the standard deviations, clipped to [-1, 1])."""
    x = _check_tensor("corrcoef", input)
    if x.ndim > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got"
                           f" an input with {x.ndim} dimensions")  # fmt: skip
    c = cov(x)
    if c.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.unsqueeze(1)
    c = c / std.unsqueeze(0)
    return c.clamp(-1, 1)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Counts of ``input`` in ``bins`` equal bins over ``[min, max]`` (both 0: the data's
    range); elements outside are left out. Forward only, as PyTorch.

    >>> import tensorplug as tp
    >>> tp.histc(tp.tensor([1.0, 2.0, 1.0]), bins=4, min=0, max=3).tolist()
    [0.0, 2.0, 1.0, 0.0]
    """
    x = _check_tensor("histc", input)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for "
                                  f"'{_TORCH_NAMES.get(x.dtype.name, x.dtype.name)}'")  # fmt: skip
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0, but got " + str(bins))
    k = x._backend.k
    lo, hi = float(min), float(max)
    if lo == hi and x.numel():
        lo, hi = float(k.amin(x._data, None, False)), float(k.amax(x._data, None, False))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi or not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite"
                           if lo <= hi else "torch.histc: max must be larger than min")  # fmt: skip
    data = k.reshape(x._data, (-1,))
    inside = k.where(k.ge(data, lo), k.le(data, hi), False)
    pos = k.floor(k.mul(k.sub(data, lo), bins / (hi - lo)))
    pos = k.where(k.ge(pos, bins), bins - 1, pos)
    pos = k.astype(k.where(inside, pos, 0), D.int64)
    weights = k.astype(inside, x.dtype)
    return Tensor._make(k.index_grad(weights, (bins,), pos, True), x._backend)


_TORCH_NAMES = {"int64": "Long", "int32": "Int", "bool": "Bool"}
