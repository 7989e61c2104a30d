"""The ops namespace backward formulas use when ``create_graph=True``.

It mirrors the kernel names and signatures (``sum(x, axes, keepdims)``, ``permute(x, axes)``,
...) but takes tensors and records every step, so the same formula that runs on raw kernels in
a plain backward builds a differentiable graph here.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from . import _indexing as I
from . import _linalg as L
from . import _ops_pointwise as P
from . import _ops_reduce as R
from . import _ops_shape as S
from ._dispatch import unary
from ._graph import new_tensor
from ._tensor import Tensor


def _sum(x: Tensor, axes: Any, keepdims: bool) -> Tensor:
    return unary(R.SumBackward1, x, R.dims_of(axes, x.ndim, "sum"), keepdims)


def _prod(x: Tensor, axes: Any, keepdims: bool) -> Tensor:
    return unary(R.ProdBackward1, x, R.dims_of(axes, x.ndim, "prod"), keepdims)


def _amax(x: Tensor, axes: Any, keepdims: bool) -> Tensor:
    return unary(R.AmaxBackward0, x, R.dims_of(axes, x.ndim, "amax"), keepdims)


def _index_grad(g: Tensor, shape: tuple[int, ...], idx: Any, advanced: bool) -> Tensor:
    return unary(I.IndexGradBackward, g, tuple(shape), idx, advanced)


def _getitem(x: Tensor, idx: Any) -> Tensor:
    advanced = any(
        not isinstance(i, (int, slice, type(None), type(...)))
        for i in (idx if isinstance(idx, tuple) else (idx,))
    )
    return unary(I.IndexBackward0, x, idx, advanced)


def _iota(n: int, shape: tuple[int, ...], like: Tensor) -> Tensor:
    be = like._backend
    return new_tensor(Tensor, be.k.iota(n, shape, like._data), be)


TENSOR_OPS = SimpleNamespace(
    add=P.add, sub=P.sub, mul=P.mul, div=P.div, neg=P.neg, pow=P.pow, exp=P.exp, log=P.log,
    sqrt=P.sqrt, sin=P.sin, cos=P.cos, tanh=P.tanh, sign=P.sign, abs=P.abs,
    sigmoid=P.sigmoid, where=P.where,
    tanh_backward=lambda g, out: P.mul(g, P.sub(1, P.mul(out, out))),
    sigmoid_backward=lambda g, out: P.mul(P.mul(g, out), P.sub(1, out)),
    maximum=P.maximum, minimum=P.minimum,
    eq=P.eq, ne=P.ne, lt=P.lt, le=P.le, gt=P.gt, ge=P.ge,
    sum=_sum, prod=_prod, amax=_amax,
    sum_to=lambda x, shape: x if x.shape == tuple(shape) else S.sum_to_size(x, shape),
    broadcast_to=lambda x, shape: S.expand(x, *shape),
    reshape=lambda x, shape: S.reshape(x, shape),
    permute=lambda x, axes: S.permute(x, *axes),
    matmul=L.matmul,
    getitem=_getitem,
    index_grad=_index_grad,
    concat=lambda xs, axis: S.cat(xs, axis),
    astype=lambda x, d: x.to(d),
    dtype_of=lambda x: x.dtype,
    iota=_iota,
    const=lambda x, like: Tensor._make(x, like._backend),
)  # fmt: skip
