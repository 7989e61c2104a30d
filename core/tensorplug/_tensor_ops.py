"""The ops namespace backward formulas use when ``create_graph=True``.

It mirrors the kernel names and signatures (``sum(x, axes, keepdims)``, ``permute(x, axes)``,
...) but takes tensors and records every step, so the same formula that runs on raw kernels in
a plain backward builds a differentiable graph here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import _gelu as G
from . import _indexing as I
from . import _linalg as L
from . import _ops_cumulative as C
from . import _ops_matrix as M
from . import _ops_pointwise as P
from . import _ops_qr as Q
from . import _ops_reduce as R
from . import _ops_shape as S
from . import _ops_special as SP
from . import _ops_spectral as E
from ._contract import KernelOps, Operand, Shape
from ._dispatch import binary, nary, unary
from ._dtype import dtype
from ._fused_formulas import tensor_formulas
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


def _maximum(a: Operand, b: Operand) -> Tensor:
    # ``tp.maximum`` is typed for tensors, as PyTorch's; a kernel also takes a number.
    return binary(P.MaximumBackward0, a, b)


def _minimum(a: Operand, b: Operand) -> Tensor:
    return binary(P.MinimumBackward0, a, b)


def _tanh_backward(g: Tensor, out: Tensor) -> Tensor:
    return P.mul(g, P.sub(1, P.mul(out, out)))


def _sigmoid_backward(g: Tensor, out: Tensor) -> Tensor:
    return P.mul(P.mul(g, out), P.sub(1, out))


def _gelu_backward(g: Tensor, x: Tensor, approximate: str) -> Tensor:
    erfc = SP.erfc if x._backend.has_kernel("erfc") else None  # recorded, as the kernel's
    out: Tensor = G.gelu_backward(TENSOR_OPS, g, x, approximate, erfc)  # the formula on tensors
    return out


def _cumsum(x: Tensor, axis: int) -> Tensor:
    return C.cumsum(x, axis)


def _cumprod(x: Tensor, axis: int) -> Tensor:
    return C.cumprod(x, axis)


def _sum_to(x: Tensor, shape: Shape) -> Tensor:
    return x if x.shape == tuple(shape) else S.sum_to_size(x, shape)


def _broadcast_to(x: Tensor, shape: Shape) -> Tensor:
    return S.expand(x, tuple(shape))


def _reshape(x: Tensor, shape: Shape) -> Tensor:
    return S.reshape(x, shape)


def _permute(x: Tensor, axes: Shape) -> Tensor:
    return S.permute(x, tuple(axes))


def _concat(xs: Sequence[Tensor], axis: int) -> Tensor:
    return S.cat(xs, axis)


def _astype(x: Tensor, d: dtype) -> Tensor:
    return x.to(d)


def _dtype_of(x: Tensor) -> dtype:
    return x.dtype


def _linalg_inv(a: Tensor) -> Tensor:
    return unary(M.LinalgInvExBackward0, a)


def _linalg_solve(a: Tensor, b: Tensor) -> Tensor:
    return nary(M.LinalgSolveExBackward0, (a, b), False)


def _linalg_eigh(a: Tensor) -> tuple[Tensor, Tensor]:
    return unary(E.LinalgEighBackward0, a, False), unary(E.EighVectors, a, False)


def _linalg_svd(a: Tensor, full: bool) -> tuple[Tensor, Tensor, Tensor]:
    u, vh = unary(E.SvdU, a, full), unary(E.SvdVh, a, full)
    return u, unary(E.LinalgSvdBackward0, a), vh


def _linalg_qr(a: Tensor, mode: str) -> tuple[Tensor, Tensor]:
    return unary(Q.QrQ, a, mode), unary(Q.LinalgQrBackward0, a, mode)


def _const(x: Any, like: Tensor) -> Tensor:
    return Tensor._make(x, like._backend)


class TensorOps:
    """``KernelOps`` on tensors, every step recorded. The functions are instance attributes,
    so ``vars(TENSOR_OPS)`` lists exactly the contract's names
    (``tests/backends/test_contract.py``), and the type checker holds each one to its kernel's
    signature (``TENSOR_OPS: KernelOps``).
    """

    def __init__(self) -> None:
        self.add = P.add
        self.sub = P.sub
        self.mul = P.mul
        self.div = P.div
        self.pow = P.pow
        self.maximum = _maximum
        self.minimum = _minimum
        self.neg = P.neg
        self.exp = P.exp
        self.log = P.log
        self.sqrt = P.sqrt
        self.abs = P.abs
        self.sin = P.sin
        self.cos = P.cos
        self.tanh = P.tanh
        self.sign = P.sign
        self.sigmoid = P.sigmoid
        self.where = P.where
        self.eq = P.eq
        self.ne = P.ne
        self.lt = P.lt
        self.le = P.le
        self.gt = P.gt
        self.ge = P.ge
        self.digamma = SP.digamma
        self.trigamma = SP.trigamma
        self.polygamma = SP.polygamma
        self.tanh_backward = _tanh_backward
        self.sigmoid_backward = _sigmoid_backward
        self.gelu_backward = _gelu_backward
        self.sum = _sum
        self.prod = _prod
        self.amax = _amax
        self.cumsum = _cumsum
        self.cumprod = _cumprod
        self.sum_to = _sum_to
        self.matmul = L.matmul
        self.reshape = _reshape
        self.permute = _permute
        self.broadcast_to = _broadcast_to
        self.concat = _concat
        self.getitem = _getitem
        self.index_grad = _index_grad
        self.astype = _astype
        self.dtype_of = _dtype_of
        self.iota = _iota
        self.const = _const
        self.linalg_inv = _linalg_inv
        self.linalg_solve = _linalg_solve
        self.linalg_eigh = _linalg_eigh
        self.linalg_svd = _linalg_svd
        self.linalg_qr = _linalg_qr
        # Issue 21: the fused kernels' formulas, on tensors (double backward differentiates
        # the formula).
        fused = tensor_formulas(self)
        self.relu_backward = fused["relu_backward"]
        self.silu_backward = fused["silu_backward"]
        self.softmax_backward = fused["softmax_backward"]
        self.log_softmax_backward = fused["log_softmax_backward"]
        self.mse_loss_backward = fused["mse_loss_backward"]
        self.clamp_backward = fused["clamp_backward"]
        self.pow_backward = fused["pow_backward"]
        self.dropout_backward = fused["dropout_backward"]
        self.nll_loss_backward = fused["nll_loss_backward"]


TENSOR_OPS: KernelOps = TensorOps()
"""The ``ops`` of a ``create_graph=True`` backward."""
