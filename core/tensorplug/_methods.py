"""Binds the functional ops to ``Tensor`` as methods and operators (PyTorch's names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _dtype as D
from . import _indexing as I
from . import _inplace, _methods_pointwise, _sampling, _sampling_inplace
from . import _linalg as L
from . import _ops_clamp as CL
from . import _ops_cumulative as C
from . import _ops_fused as F
from . import _ops_layout as LY
from . import _ops_matrix as M
from . import _ops_pointwise as P
from . import _ops_reduce as R
from . import _ops_shape as S
from ._dispatch import as_operand, operator, unary, unary_method
from ._graph import Node
from ._plugins import backend_for_device
from ._tensor import Tensor
from ._transfer import to
from .autograd import tensor_backward

_SCALARS = (int, float, bool)


def _cast(d: D.dtype) -> Any:
    def cast(self: Tensor) -> Tensor:
        return to(self, d)

    return cast


def _new(factory: str) -> Any:
    def new(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        from . import _creation as C

        make: Callable[..., Tensor] = getattr(C, factory)
        return make(
            *size, dtype=dtype or self.dtype, backend=self._backend, requires_grad=requires_grad
        )

    return new


def _new_full(
    self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    from ._creation import full

    return full(
        size,
        fill_value,
        dtype=dtype or self.dtype,
        backend=self._backend,
        requires_grad=requires_grad,
    )


def _new_tensor(
    self: Tensor, data: Any, *, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    from ._creation import tensor

    return tensor(
        data, dtype=dtype or self.dtype, backend=self._backend, requires_grad=requires_grad
    )


def _rsub(self: Tensor, other: Any) -> Tensor:
    return P.sub(other, self)


def _rdiv(self: Tensor, other: Any) -> Tensor:
    return P.div(other if isinstance(other, Tensor) else _scalar(self, other), self)


def _scalar(like: Tensor, v: Any) -> Tensor:
    return as_operand(v, like, P.DivBackward0)


def _pow(self: Tensor, exponent: Any) -> Tensor:
    """``self ** n`` for an int ``n >= 0`` (a squared error) straight to ``unary``: ``pow``'s
    checks of its arguments' kinds have nothing to do there (docs/performance.md)."""
    if exponent.__class__ is int and exponent >= 0:
        return unary(P.PowBackward0, self, exponent)
    return P.pow(self, exponent)


def _rpow(self: Tensor, other: Any) -> Tensor:
    return P.pow(other, self)


def _rmatmul(self: Tensor, other: Any) -> Tensor:
    return L.matmul(_scalar(self, other) if not isinstance(other, Tensor) else other, self)


def _view(self: Tensor, *shape: Any) -> Tensor:
    return S.view_(self, *shape)


def _invert(self: Tensor) -> Tensor:
    """``~x``: logical not of a bool tensor, bitwise not (``-x - 1``) of an integer one."""
    if self.dtype is D.bool_:
        return P.eq(self, False)
    if self.dtype.is_floating_point:
        raise TypeError(
            f"~ (bitwise not) is only supported for integer and bool tensors, got {self.dtype}"
        )
    return P.sub(P.neg(self), 1)


def _bitwise(cls: type[Node]) -> Any:
    """``self & other`` and ``other & self`` (the same: both ops are symmetric)."""

    def fn(self: Tensor, other: Any) -> Tensor:
        return P.bitwise(cls, self, other)

    fn.__doc__ = f"``{cls.op}(self, other)``: bit by bit (logical, for bool tensors)."
    return fn


def _softmax(self: Tensor, dim: int, dtype: D.dtype | None = None) -> Tensor:
    from .nn.functional import softmax

    return softmax(self, dim, dtype)


def _log_softmax(self: Tensor, dim: int, dtype: D.dtype | None = None) -> Tensor:
    from .nn.functional import log_softmax

    return log_softmax(self, dim, dtype)


def _equality(fn: Any) -> Any:
    """``==``/``!=`` with an operand that is no tensor, number or array (``None``, a string):
    ``NotImplemented``, so Python compares identities (``x == None`` is False, as in
    PyTorch) instead of raising."""

    def op(self: Tensor, other: Any) -> Any:
        if other is None or isinstance(other, (str, bytes)):
            return NotImplemented
        return fn(self, other)

    return op


def _T(self: Tensor) -> Tensor:  # noqa: N802 - PyTorch's name
    return S.permute(self, tuple(range(self.ndim - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:  # noqa: N802
    if self.ndim == 0:
        return self  # PyTorch: the identity (deprecated) on a 0-d tensor
    if self.ndim == 1:
        raise RuntimeError(
            "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."
        )
    return S.transpose(self, -2, -1)


def _expand(self: Tensor, *sizes: Any) -> Tensor:
    return S.expand(self, *sizes)


def _cuda(self: Tensor, device: Any = None) -> Tensor:
    return to(
        self,
        "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device),
    )


def _cpu(self: Tensor) -> Tensor:
    if self._backend.device_type == "cpu":
        return self
    return to(self, backend=backend_for_device("cpu"))


_METHODS: dict[str, Any] = {
    # arithmetic
    "add": P.add, "sub": P.sub, "subtract": P.sub, "mul": P.mul, "multiply": P.mul,
    "div": P.div, "divide": P.div, "true_divide": P.div, "pow": P.pow,
    "neg": unary_method(P.NegBackward0), "negative": unary_method(P.NegBackward0),
    "exp": unary_method(P.ExpBackward0), "log": unary_method(P.LogBackward0),
    "log1p": unary_method(P.Log1PBackward0), "expm1": unary_method(P.Expm1Backward0),
    "sqrt": unary_method(P.SqrtBackward0), "rsqrt": unary_method(P.RsqrtBackward0),
    "abs": P.abs, "sin": unary_method(P.SinBackward0), "cos": unary_method(P.CosBackward0),
    "tanh": unary_method(P.TanhBackward0), "sigmoid": unary_method(P.SigmoidBackward0),
    "relu": P.relu, "clamp": CL.clamp, "clip": CL.clamp,
    "clamp_min": CL.clamp_min, "clamp_max": CL.clamp_max, "reciprocal": P.reciprocal,
    "square": P.square, "maximum": P.maximum, "minimum": P.minimum, "sign": P.sign,
    "where": lambda self, condition, other: P.where(condition, self, other),
    "eq": P.eq, "ne": P.ne, "lt": P.lt, "le": P.le, "gt": P.gt, "ge": P.ge,
    # reductions
    "sum": R.sum, "mean": R.mean, "prod": R.prod, "max": R.max, "min": R.min, "amax": R.amax,
    "amin": R.amin, "var": R.var, "std": R.std, "logsumexp": R.logsumexp, "norm": R.norm,
    "argmax": R.argmax, "argmin": R.argmin, "all": R.all, "any": R.any, "softmax": _softmax,
    "log_softmax": _log_softmax,
    # linear algebra and shapes
    "mm": L.mm, "addmm": L.addmm, "matmul": L.matmul, "bmm": L.bmm, "dot": L.dot, "t": S.t,
    "transpose": S.transpose, "swapaxes": S.transpose, "reshape": S.reshape, "view": _view,
    "flatten": S.flatten, "squeeze": S.squeeze, "unsqueeze": S.unsqueeze,
    "permute": S.permute, "expand": _expand, "expand_as": S.expand_as,
    "broadcast_to": S.broadcast_to, "sum_to_size": S.sum_to_size, "split": S.split,
    "chunk": S.chunk, "clone": S.clone,
    "view_as": lambda self, other: S.view_(self, other.shape),
    "reshape_as": lambda self, other: S.reshape(self, other.shape),
    # in place
    "add_": P.add_, "sub_": P.sub_, "mul_": P.mul_, "div_": P.div_, "clamp_": CL.clamp_,
    "zero_": _inplace.zero_, "fill_": _inplace.fill_, "copy_": _inplace.copy_,
    # conversion and creation
    "backward": tensor_backward, "to": to, "float": _cast(D.float32),
    "double": _cast(D.float64), "half": _cast(D.float16), "long": _cast(D.int64),
    "int": _cast(D.int32), "bool": _cast(D.bool_),
    "type_as": lambda self, other: to(self, other.dtype), "cuda": _cuda, "cpu": _cpu,
    "new_zeros": _new("zeros"), "new_ones": _new("ones"), "new_empty": _new("empty"),
    "new_full": _new_full, "new_tensor": _new_tensor,
    # operators
    "__add__": operator(P.AddBackward0), "__radd__": operator(P.AddBackward0),
    "__iadd__": P.add_, "__sub__": operator(P.SubBackward0), "__rsub__": _rsub,
    "__isub__": P.sub_, "__mul__": operator(P.MulBackward0),
    "__rmul__": operator(P.MulBackward0), "__imul__": P.mul_,
    "__truediv__": operator(P.DivBackward0), "__rtruediv__": _rdiv, "__itruediv__": P.div_,
    "__pow__": _pow, "__rpow__": _rpow, "__matmul__": L.matmul, "__rmatmul__": _rmatmul,
    "__neg__": unary_method(P.NegBackward0), "__abs__": P.abs, "__pos__": lambda self: self,
    "__eq__": _equality(P.eq), "__ne__": _equality(P.ne), "__lt__": P.lt, "__le__": P.le,
    "__gt__": P.gt, "__ge__": P.ge, "__getitem__": I.getitem, "__setitem__": I.setitem,
    "__invert__": _invert, "__and__": _bitwise(P._BitwiseAnd),
    "__rand__": _bitwise(P._BitwiseAnd), "__or__": _bitwise(P._BitwiseOr),
    "__ror__": _bitwise(P._BitwiseOr),
}  # fmt: skip

# cumulative, layout and contraction ops
_METHODS.update({
    "cumsum": C.cumsum, "cumprod": C.cumprod, "cummax": C.cummax, "cummin": C.cummin,
    "cumsum_": C.cumsum_, "cumprod_": C.cumprod_, "repeat": LY.repeat,
    "repeat_interleave": LY.repeat_interleave,
    "tile": LY.tile, "flip": LY.flip, "fliplr": LY.fliplr, "flipud": LY.flipud,
    "roll": LY.roll, "movedim": LY.movedim, "moveaxis": LY.movedim, "unbind": LY.unbind,
    "diag": LY.diag, "diagonal": LY.diagonal, "diag_embed": LY.diag_embed, "trace": LY.trace,
    "outer": LY.outer, "ger": LY.outer, "kron": LY.kron, "baddbmm": F.baddbmm,
    "addmv": F.addmv, "addcmul": F.addcmul, "addcdiv": F.addcdiv, "lerp": F.lerp,
    "addmv_": F.addmv_, "baddbmm_": F.baddbmm_, "addcmul_": F.addcmul_,
    "addcdiv_": F.addcdiv_, "lerp_": F.lerp_,
})  # fmt: skip
# tensorplug.linalg's functions PyTorch also spells as methods (and its older names).
_METHODS.update(det=M.det, slogdet=M.torch_slogdet, logdet=M.logdet, inverse=M.inv)

# random sampling (``_sampling``, ``_sampling_inplace``)
_METHODS.update(_sampling_inplace.METHODS)
_METHODS["bernoulli"] = _sampling.bernoulli
_METHODS["multinomial"] = _sampling.multinomial

from . import _ops_scatter as SC  # noqa: E402 - selection (issue 16), kept in its own block
from . import _ops_select as SE  # noqa: E402
from . import _ops_sort as SO  # noqa: E402

_METHODS.update({
    "tril": SE.tril, "triu": SE.triu, "tril_": SE.tril_, "triu_": SE.triu_,
    "masked_fill": SE.masked_fill, "masked_fill_": SE.masked_fill_,
    "masked_select": SE.masked_select, "nonzero": SE.nonzero, "narrow": SE.narrow,
    "gather": SC.gather, "take_along_dim": SC.take_along_dim, "scatter": SC.scatter,
    "scatter_": SC.scatter_, "scatter_add": SC.scatter_add, "scatter_add_": SC.scatter_add_,
    "index_select": SC.index_select, "index_add": SC.index_add, "index_add_": SC.index_add_,
    "sort": SO.sort, "argsort": SO.argsort, "topk": SO.topk, "unique": SO.unique,
    "bincount": SO.bincount,
})  # fmt: skip

from . import _memory_format as MF  # noqa: E402 - layout queries (issue 16), own block

_METHODS.update(contiguous=MF.contiguous, is_contiguous=MF.is_contiguous, stride=MF.stride)
from . import _ops_scatter_reduce as SR  # noqa: E402 - issue 16, own block

_METHODS.update(scatter_reduce=SR.scatter_reduce, scatter_reduce_=SR.scatter_reduce_)
from . import _ops_special as SPF  # noqa: E402
from . import _ops_special_extra as SPX  # noqa: E402

_METHODS.update(
    polygamma=lambda self, n: SPF.polygamma(n, self),
    polygamma_=SPF.polygamma_,
    mvlgamma=SPX.multigammaln,
    xlog1py=SPX.xlog1py,
)

from ._math_surface import METHODS as _MATH_METHODS  # noqa: E402 - issue 16 (wt-h16math)

_METHODS.update(_MATH_METHODS)

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
# Rounding, special functions, comparisons, logic and bits (issue 16); ``~`` among them.
for _name, _fn in _methods_pointwise.METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(_T)  # type: ignore[assignment]
Tensor.mT = property(_mT)  # type: ignore[assignment]
Tensor.__hash__ = lambda self: id(self)  # type: ignore[method-assign]
# issue 16 (wt-h16tensor), own block: the generated in-place variants, second names and
# queries, splits, and indexed writes (each module's table).
from . import _inplace_variants, _ops_index_write, _ops_split, _tensor_protocol  # noqa: E402

for _table in (
    _inplace_variants.methods(),
    _tensor_protocol.METHODS,
    _ops_split.FUNCTIONS,
    _ops_index_write.METHODS,
):
    for _name, _fn in _table.items():
        setattr(Tensor, _name, _fn)
