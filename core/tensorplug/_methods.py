"""Binds the functional ops to ``Tensor`` as methods and operators (PyTorch's names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import _dtype as D
from . import _ops_pointwise as P
from . import _ops_reduce as R
from . import _ops_shape as S
from ._autograd import Node, record
from ._grad_mode import state
from ._plugins import REGISTRY, backend_for_device
from ._tensor import Tensor, binary, check_inplace, inplace, speedups, unary, write

_SCALARS = (int, float, bool)


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """``to(dtype)``, ``to("cuda:0")``, ``to("numpy")`` (a backend), ``to(other_tensor)``,
    or ``to(device=..., dtype=..., backend=...)``; differentiable."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    backend = kwargs.pop("backend", None)
    kwargs.pop("copy", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype, backend = a.dtype, a._backend
        elif isinstance(a, D.dtype) or a in (float, int, bool):
            dtype = a
        elif isinstance(a, str) and a in REGISTRY.specs:
            backend = a
        elif a is not None:
            device = a
    out = self
    if backend is not None or device is not None:
        from ._transfer import transfer

        out = transfer(out, backend, device)
    if dtype is not None:
        d = D.as_dtype(dtype)
        if d is not out.dtype:
            out._backend.native_dtype(d, "to")
            out = unary(S.ToCopyBackward0, out, d, out.dtype)
            if not d.is_floating_point and out._grad_fn is not None:
                # Integer and bool tensors never require grad (PyTorch returns them detached).
                out._grad_fn = None
                out._requires_grad = False
    return out


def _cast(d: D.dtype) -> Any:
    def cast(self: Tensor) -> Tensor:
        return _to(self, d)

    return cast


def _fill(self: Tensor, value: Any, zero: bool) -> Tensor:
    # ``zero_()`` runs every training step: no function-level import here (about 1 µs).
    if not state.grad_enabled and self._grad_fn is None and value.__class__ in _SCALARS:
        # Not recorded (``grad.zero_()`` under ``no_grad``): a plain fill, no graph checks.
        k = self._backend.k
        fill = getattr(k, "fill_", None)
        if fill is not None:
            fill(self._data, value)
        else:
            k.assign(self._data, k.full((), value, self.dtype))
        self._vc[0] += 1
        return self
    if self._base is not None and S.view_write_needs_graph(self, value):
        S.rebase_view(
            self,
            self.new_full(self.shape, value.item() if isinstance(value, Tensor) else value),
            "fill_",
        )
        return self
    check_inplace(self, "fill_")
    if isinstance(value, Tensor):
        value = value.item()
    self._backend.k.assign(self._data, self._backend.k.full((), value, self.dtype))
    self._vc[0] += 1
    if self._grad_fn is not None:
        views = S.live_views(self) if len(self._vc) > 1 else None
        if state.grad_enabled:
            # As PyTorch: still in the graph, but the old values get a zero gradient.
            node = record(
                P.ZeroBackward0 if zero else P.FillBackward2, (self,), self._data, (), self._backend
            )
            node._out_vc = self._vc
            self._grad_fn = node
        else:
            self._grad_fn = None
            self._requires_grad = False
        if views:
            S.refresh_views(self, views)
    return self


def _fill_(self: Tensor, value: Any) -> Tensor:
    return _fill(self, value, False)


def _zero_(self: Tensor) -> Tensor:
    return _fill(self, 0, True)


def _copy_(self: Tensor, src: Tensor) -> Tensor:
    """Copy ``src`` into ``self`` (broadcasting, casting); gradient flows to ``src``."""
    if not isinstance(src, Tensor):
        from ._creation import tensor

        src = tensor(src, dtype=self.dtype, backend=self._backend)
    if src._backend is not self._backend:
        src = _to(src, backend=self._backend)
    src = S.expand(src, *self.shape) if src.shape != self.shape else src
    res = S.clone(src) if src.dtype is self.dtype else _to(src, self.dtype)
    if S.view_write_needs_graph(self, res):
        S.rebase_view(self, res, "copy_")
        return self
    from ._tensor import check_inplace

    check_inplace(self, "copy_")
    views = S.live_views(self) if len(self._vc) > 1 and res._grad_fn is not None else None
    write(self, res, "copy_")
    if res._grad_fn is not None:
        self._grad_fn = res._grad_fn
        self._requires_grad = True
        if views:
            S.refresh_views(self, views)
    return self


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
    from ._tensor import as_operand

    return as_operand(v, like, P.DivBackward0)


def _pow(self: Tensor, exponent: Any) -> Tensor:
    """``self ** n`` for an int ``n >= 0`` (a squared error) straight to ``unary``: ``pow``'s
    checks of its arguments' kinds have nothing to do there (a third of the op)."""
    if exponent.__class__ is int and exponent >= 0:
        return unary(P.PowBackward0, self, exponent)
    return P.pow(self, exponent)


def _rpow(self: Tensor, other: Any) -> Tensor:
    return P.pow(other, self)


def _rmatmul(self: Tensor, other: Any) -> Tensor:
    return S.matmul(_scalar(self, other) if not isinstance(other, Tensor) else other, self)


def _view(self: Tensor, *shape: Any) -> Tensor:
    return S.view_(self, *shape)


def _invert(self: Tensor) -> Tensor:
    if self.dtype is not D.bool_:
        raise TypeError(f"~ (bitwise not) is only supported for bool tensors, got {self.dtype}")
    return P.eq(self, False)


def _logical(op: str) -> Any:
    def fn(self: Tensor, other: Any) -> Tensor:
        if self.dtype is not D.bool_:
            raise TypeError(f"'{op}' is only supported for bool tensors here, got {self.dtype}")
        o = other if isinstance(other, Tensor) else _scalar(self, bool(other))
        if op == "&":
            return P.where(self, o, False) if o.dtype is D.bool_ else P.mul(self, o)
        return P.where(self, True, o)

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
    return S.permute(self, *range(self.ndim - 1, -1, -1))


def _mT(self: Tensor) -> Tensor:  # noqa: N802
    return S.transpose(self, -2, -1)


def _expand(self: Tensor, *sizes: Any) -> Tensor:
    return S.expand(self, *sizes)


def _cuda(self: Tensor, device: Any = None) -> Tensor:
    return _to(
        self,
        "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device),
    )


def _cpu(self: Tensor) -> Tensor:
    if self._backend.device_type == "cpu":
        return self
    return _to(self, backend=backend_for_device("cpu"))


def _operator(cls: type[Node]) -> Callable[[Tensor, Any], Tensor]:
    """``self <op> other`` straight to ``binary``: ``self`` is a tensor and there is no
    ``alpha`` or ``rounding_mode``, so the public function's checks have nothing to do (they
    cost 50-80 ns an op, a sixth of a small op's own work)."""

    if speedups is not None:  # the same call, without a Python frame in between
        return speedups.op_method(cls, True, cls.op, f"``{cls.op}(self, other)``.")  # type: ignore[no-any-return]

    def op(self: Tensor, other: Any) -> Tensor:
        return binary(cls, self, other)

    return op


def _unary_method(cls: type[Node]) -> Callable[[Tensor], Tensor]:
    """``self.exp()``: the public function without its check that ``self`` is a tensor."""

    if speedups is not None:
        return speedups.op_method(cls, False, cls.op, f"``{cls.op}(self)``.")  # type: ignore[no-any-return]

    def method(self: Tensor) -> Tensor:
        return unary(cls, self)

    return method


_METHODS: dict[str, Any] = {
    # arithmetic
    "add": P.add, "sub": P.sub, "subtract": P.sub, "mul": P.mul, "multiply": P.mul,
    "div": P.div, "divide": P.div, "true_divide": P.div, "pow": P.pow,
    "neg": _unary_method(P.NegBackward0), "negative": _unary_method(P.NegBackward0),
    "exp": _unary_method(P.ExpBackward0), "log": _unary_method(P.LogBackward0),
    "log1p": _unary_method(P.Log1PBackward0), "expm1": _unary_method(P.Expm1Backward0),
    "sqrt": _unary_method(P.SqrtBackward0), "rsqrt": _unary_method(P.RsqrtBackward0),
    "abs": P.abs, "sin": _unary_method(P.SinBackward0), "cos": _unary_method(P.CosBackward0),
    "tanh": _unary_method(P.TanhBackward0), "sigmoid": _unary_method(P.SigmoidBackward0),
    "relu": _unary_method(P.ReluBackward0), "clamp": P.clamp, "clip": P.clamp,
    "clamp_min": P.clamp_min, "clamp_max": P.clamp_max, "reciprocal": P.reciprocal,
    "square": P.square, "maximum": P.maximum, "minimum": P.minimum, "sign": P.sign,
    "where": lambda self, condition, other: P.where(condition, self, other),
    "eq": P.eq, "ne": P.ne, "lt": P.lt, "le": P.le, "gt": P.gt, "ge": P.ge,
    # reductions
    "sum": R.sum, "mean": R.mean, "prod": R.prod, "max": R.max, "min": R.min, "amax": R.amax,
    "amin": R.amin, "var": R.var, "std": R.std, "logsumexp": R.logsumexp, "norm": R.norm,
    "argmax": R.argmax, "argmin": R.argmin, "all": R.all, "any": R.any, "softmax": _softmax,
    "log_softmax": _log_softmax,
    # linear algebra and shapes
    "mm": S.mm, "addmm": S.addmm, "matmul": S.matmul, "bmm": S.bmm, "dot": S.dot, "t": S.t,
    "transpose": S.transpose, "swapaxes": S.transpose, "reshape": S.reshape, "view": _view,
    "flatten": S.flatten, "squeeze": S.squeeze, "unsqueeze": S.unsqueeze,
    "permute": S.permute, "expand": _expand, "expand_as": S.expand_as,
    "broadcast_to": S.broadcast_to, "sum_to_size": S.sum_to_size, "split": S.split,
    "chunk": S.chunk, "clone": S.clone, "contiguous": S.contiguous,
    "view_as": lambda self, other: S.reshape(self, other.shape),
    "reshape_as": lambda self, other: S.reshape(self, other.shape),
    # in place
    "add_": P.add_, "sub_": P.sub_, "mul_": P.mul_, "div_": P.div_, "clamp_": P.clamp_,
    "zero_": _zero_, "fill_": _fill_, "copy_": _copy_,
    # conversion and creation
    "to": _to, "float": _cast(D.float32), "double": _cast(D.float64), "half": _cast(D.float16),
    "long": _cast(D.int64), "int": _cast(D.int32), "bool": _cast(D.bool_),
    "type_as": lambda self, other: _to(self, other.dtype), "cuda": _cuda, "cpu": _cpu,
    "new_zeros": _new("zeros"), "new_ones": _new("ones"), "new_empty": _new("empty"),
    "new_full": _new_full, "new_tensor": _new_tensor,
    # operators
    "__add__": _operator(P.AddBackward0), "__radd__": _operator(P.AddBackward0),
    "__iadd__": P.add_, "__sub__": _operator(P.SubBackward0), "__rsub__": _rsub,
    "__isub__": P.sub_, "__mul__": _operator(P.MulBackward0),
    "__rmul__": _operator(P.MulBackward0), "__imul__": P.mul_,
    "__truediv__": _operator(P.DivBackward0), "__rtruediv__": _rdiv, "__itruediv__": P.div_,
    "__pow__": _pow, "__rpow__": _rpow, "__matmul__": S.matmul, "__rmatmul__": _rmatmul,
    "__neg__": _unary_method(P.NegBackward0), "__abs__": P.abs, "__pos__": lambda self: self,
    "__eq__": _equality(P.eq), "__ne__": _equality(P.ne), "__lt__": P.lt, "__le__": P.le,
    "__gt__": P.gt, "__ge__": P.ge, "__getitem__": S.getitem, "__setitem__": S.setitem,
    "__invert__": _invert, "__and__": _logical("&"), "__or__": _logical("|"),
}  # fmt: skip

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
Tensor.T = property(_T)  # type: ignore[assignment]
Tensor.mT = property(_mT)  # type: ignore[assignment]
Tensor.__hash__ = lambda self: id(self)  # type: ignore[method-assign]
del inplace
