"""Reductions over ``dim`` (an int, a tuple, or all dims), with ``keepdim``."""

from __future__ import annotations

import builtins
import math
from typing import Any

from . import _dtype as D
from . import return_types as R
from ._contract import Array, KernelOps
from ._dispatch import is_float, nary, unary
from ._grad_mode import state
from ._graph import OUT, Node
from ._tensor import Tensor, _dim

_ALL_AXES = [tuple(range(n)) for n in range(65)]
"""``dims_of(None, n)`` per ``n``, built once."""


def dims_of(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """Normalise ``dim`` (None, int or sequence; negatives allowed) to sorted positive axes."""
    if dim is None:
        return _ALL_AXES[ndim] if ndim < len(_ALL_AXES) else tuple(range(ndim))
    if isinstance(dim, int):
        d = _dim(dim, ndim, op)
        return (d,) if ndim else ()  # a 0-d tensor accepts dim 0 or -1 and reduces nothing
    axes = tuple(sorted({_dim(d, ndim, op) for d in dim}))
    if not ndim:
        return ()
    if len(axes) != len(tuple(dim)):
        raise RuntimeError(f"{op}(): dim {tuple(dim)} appears multiple times in the list of dims")
    return axes


def expand_back(
    ops: KernelOps, g: Array, shape: tuple[int, ...], axes: tuple[int, ...], keepdim: bool
) -> Array:
    """Broadcast a reduced gradient back over the reduced ``axes`` of ``shape``."""
    if not keepdim and len(axes) != len(shape):  # a full reduction's 0-d g broadcasts as is
        g = ops.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return ops.broadcast_to(g, shape)


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    n = 1  # a loop: a generator is measurably slower (docs/performance.md)
    for a in axes:
        n *= shape[a]
    return n


# fmt: off
class SumBackward0(Node):
    """``sum(x)`` over all or some dims: grad = g broadcast back to x's shape."""
    op = "sum"
    kernel = "sum"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        return (expand_back(ops, g, ctx.shapes[0], *ctx.args),)


class SumBackward1(SumBackward0):
    __doc__ = SumBackward0.__doc__


class MeanBackward0(Node):
    """``mean(x)``: grad = g / n, broadcast back (n = number of reduced elements)."""
    op, float_only = "mean", True

    @staticmethod
    def forward(k: Any, x: Any, axes: tuple[int, ...], keepdim: bool) -> Any:
        n = _count(x.shape, axes)
        return k.div(k.sum(x, axes, keepdim), n) if n else k.mul(k.sum(x, axes, keepdim),
                                                                   float("nan"))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array]:
        shape, (axes, keepdim) = ctx.shapes[0], ctx.args
        scaled = ops.div(g, builtins.max(_count(shape, axes), 1))
        return (expand_back(ops, scaled, shape, axes, keepdim),)


class MeanBackward1(MeanBackward0):
    __doc__ = MeanBackward0.__doc__


class ProdBackward0(Node):
    """``prod(x)``: grad_i = g * (product of the other elements), exact with zeros, and
    differentiable there too: with p the product of the nonzero elements and z the sum of the
    zeros (0, but it carries the zero factors), a nonzero x_i gets p / x_i times 1, z or 0
    (no, one or more zeros) and a zero x_i gets p times 1, z - x_i or 0 (one, two, more)."""
    op, save = "prod", (0, OUT)
    kernel = "prod"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        axes, keepdim = ctx.args
        shape = ctx.shapes[0]
        zero = ops.eq(x, 0)
        nonzero = ops.where(zero, 1.0, x)
        p = ops.prod(nonzero, axes, True)
        zeros = ops.sum(ops.astype(zero, D.int64), axes, True)
        z = ops.sum(ops.where(zero, x, 0.0), axes, True)
        one = ops.eq(zeros, 1)
        at_zero = ops.where(one, p, ops.where(ops.eq(zeros, 2), ops.mul(p, ops.sub(z, x)), 0.0))
        at_nonzero = ops.mul(ops.div(p, nonzero),
                             ops.where(ops.eq(zeros, 0), 1.0, ops.where(one, z, 0.0)))
        others = ops.where(zero, at_zero, at_nonzero)
        return (ops.mul(expand_back(ops, g, shape, axes, keepdim), others),)


class ProdBackward1(ProdBackward0):
    __doc__ = ProdBackward0.__doc__


class AmaxBackward0(Node):
    """``amax(x)``: g shared evenly among the elements equal to the maximum."""
    op, save = "amax", (0, OUT)
    kernel = "amax"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        axes, keepdim = ctx.args
        shape = ctx.shapes[0]
        hit = ops.eq(x, expand_back(ops, out, shape, axes, keepdim))
        hits = ops.astype(hit, ops.dtype_of(x))
        count = ops.sum(hits, axes, True)
        return (ops.mul(hits, ops.div(expand_back(ops, g, shape, axes, keepdim), count)),)


class AminBackward0(AmaxBackward0):
    """``amin(x)``: g shared evenly among the elements equal to the minimum."""
    op = "amin"
    kernel = "amin"


def _evenly(ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
    """g shared evenly among the elements equal to the 0-d ``out``, or among the NaNs where
    ``out`` is NaN (PyTorch's rule for ``max()``/``min()``; ``amax``'s gives NaN there)."""
    hit = ops.where(ops.ne(out, out), ops.ne(x, x), ops.eq(x, out))
    hits = ops.astype(hit, ops.dtype_of(x))
    return (ops.mul(hits, ops.div(g, ops.sum(hits, None, False))),)


class MaxBackward1(AmaxBackward0):
    """``max(x)`` over all elements: g shared evenly among the elements equal to the
    maximum, or among the NaNs where it is NaN."""
    op = "max"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        return _evenly(ops, g, x, out)


class MinBackward1(AminBackward0):
    """``min(x)`` over all elements: as ``max()``, for the minimum."""
    op = "min"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        return _evenly(ops, g, x, out)


class MaxBackward0(Node):
    """``max(x, dim)`` values: g goes to the element at the returned index."""
    op, save, promote = "max", (1,), False
    forward = staticmethod(lambda k, x, idx, axis, keepdim: k.amax(x, (axis,), keepdim))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, idx: Array) -> tuple[Array, None]:
        axis, keepdim = ctx.args
        shape = ctx.shapes[0]
        iota = ops.iota(shape[axis], tuple(shape[axis] if i == axis else 1
                                           for i in range(len(shape))), g)
        if not keepdim:
            idx = ops.reshape(idx, tuple(1 if i == axis else n for i, n in enumerate(shape)))
            g = ops.reshape(g, tuple(1 if i == axis else n for i, n in enumerate(shape)))
        return (ops.where(ops.eq(iota, idx), g, 0.0), None)


class MinBackward0(MaxBackward0):
    """``min(x, dim)`` values: g goes to the element at the returned index."""
    op = "min"
    forward = staticmethod(lambda k, x, idx, axis, keepdim: k.amin(x, (axis,), keepdim))


class VarBackward0(Node):
    """``var(x, correction)``: grad = g * 2 (x - mean) / (n - correction)."""
    op, float_only, save = "var", True, (0,)

    @staticmethod
    def forward(k: Any, x: Any, axes: tuple[int, ...], correction: float, keepdim: bool) -> Any:
        n = _count(x.shape, axes)
        centred = k.sub(x, k.div(k.sum(x, axes, True), n))
        return k.div(k.sum(k.mul(centred, centred), axes, keepdim), builtins.max(n - correction, 0))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        axes, correction, keepdim = ctx.args
        shape = ctx.shapes[0]
        n = _count(shape, axes)
        centred = ops.sub(x, ops.div(ops.sum(x, axes, True), n))
        scale = 2.0 / (n - correction) if n - correction > 0 else float("inf")
        return (ops.mul(ops.mul(centred, scale), expand_back(ops, g, shape, axes, keepdim)),)


class StdBackward0(Node):
    """``std(x, correction)``: grad = g * (x - mean) / ((n - correction) * std), and 0 where
    std is 0 (all elements equal), as PyTorch."""
    op, float_only, save = "std", True, (0, OUT)
    forward = staticmethod(lambda k, x, axes, c, keepdim: k.sqrt(
        VarBackward0.forward(k, x, axes, c, keepdim)))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        axes, correction, keepdim = ctx.args
        shape = ctx.shapes[0]
        n = _count(shape, axes)
        centred = ops.sub(x, ops.div(ops.sum(x, axes, True), n))
        ob = expand_back(ops, out, shape, axes, keepdim)
        zero = ops.eq(ob, 0)
        denom = ops.mul(ops.where(zero, 1.0, ob), float(n - correction))
        grad = ops.div(ops.mul(centred, expand_back(ops, g, shape, axes, keepdim)), denom)
        return (ops.where(zero, 0.0, grad),)


class LogsumexpBackward0(Node):
    """``log(sum(exp(x)))``, computed stably: grad = g * exp(x - out)."""
    op, float_only, save = "logsumexp", True, (0, OUT)

    @staticmethod
    def forward(k: Any, x: Any, axes: tuple[int, ...], keepdim: bool) -> Any:
        if 0 in x.shape:
            return k.log(k.sum(k.exp(x), axes, keepdim))
        m = k.amax(x, axes, True)
        m = k.where(k.isfinite(m), m, 0.0)
        s = k.log(k.sum(k.exp(k.sub(x, m)), axes, True))
        out = k.add(s, m)
        return out if keepdim else k.reshape(out, tuple(
            n for i, n in enumerate(x.shape) if i not in axes))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        axes, keepdim = ctx.args
        shape = ctx.shapes[0]
        w = ops.exp(ops.sub(x, expand_back(ops, out, shape, axes, keepdim)))
        return (ops.mul(w, expand_back(ops, g, shape, axes, keepdim)),)


class LinalgVectorNormBackward0(Node):
    """``norm(x, p)``: grad = g * x |x|^(p-2) / out^(p-1); p=2: g x / out; p=1: g sign(x);
    p=+-inf: g sign(x) shared among the elements that reach the norm; p=0: 0."""
    op, float_only, save = "norm", True, (0, OUT)

    @staticmethod
    def forward(k: Any, x: Any, p: float, axes: tuple[int, ...], keepdim: bool) -> Any:
        a = k.abs(x)
        if p == math.inf:
            return k.amax(a, axes, keepdim)
        if p == -math.inf:
            return k.amin(a, axes, keepdim)
        if p == 0:  # the number of nonzeros
            return k.sum(k.astype(k.ne(x, 0), k.dtype_of(x)), axes, keepdim)
        if p == 1:
            return k.sum(a, axes, keepdim)
        if p == 2:
            return k.sqrt(k.sum(k.mul(x, x), axes, keepdim))
        return k.pow(k.sum(k.pow(a, p), axes, keepdim), 1.0 / p)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        p, axes, keepdim = ctx.args
        shape = ctx.shapes[0]
        gb = expand_back(ops, g, shape, axes, keepdim)
        ob = expand_back(ops, out, shape, axes, keepdim)
        sign = ops.where(ops.ne(x, x), 0.0, ops.sign(x))  # 0 at NaN, as PyTorch's sgn
        if p == 1:
            return (ops.mul(gb, sign),)
        if p == 0:
            return (ops.mul(sign, 0.0),)
        if p in (math.inf, -math.inf):
            a = ops.abs(x)
            hits = ops.astype(ops.eq(a, ob), ops.dtype_of(x))
            count = ops.sum(hits, axes, True)
            return (ops.mul(ops.mul(sign, hits), ops.div(gb, count)),)
        safe = ops.where(ops.eq(ob, 0), 1.0, ob)
        if p == 2:
            return (ops.where(ops.eq(ob, 0), 0.0, ops.div(ops.mul(gb, x), safe)),)
        scale = ops.mul(ops.mul(x, ops.pow(ops.abs(x), p - 2)), ops.pow(safe, 1 - p))
        return (ops.where(ops.eq(ob, 0), 0.0, ops.mul(gb, scale)),)


class _ArgReduce(Node):
    differentiable = False
    op = "argmax"
    kernel = "argmax"


class _ArgMin(_ArgReduce):
    op = "argmin"
    kernel = "argmin"
# fmt: on


def _reduce(
    cls_all: type[Node], cls_dim: type[Node], input: Tensor, dim: Any, keepdim: bool, *extra: Any
) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{cls_all.op}(): expected a Tensor, got {type(input).__name__}")
    # ``dim=()`` reduces every dim, as ``None`` does (under the dim form's node name).
    axes = dims_of(None if _no_dims(dim) else dim, input.ndim, cls_all.op)
    cls = cls_all if dim is None else cls_dim
    return unary(cls, input, axes, *extra, keepdim) if extra else unary(cls, input, axes, keepdim)


def _no_dims(dim: Any) -> bool:
    return isinstance(dim, (tuple, list)) and not dim


def _integer_result(input: Tensor, dtype: D.dtype | None, op: str) -> None:
    """``sum``/``prod`` to an integer ``dtype`` of a tensor that requires grad: PyTorch
    refuses to record an integer result."""
    d = None if dtype is None else D.as_dtype(dtype)
    if d is not None and not d.is_floating_point and input.requires_grad and state.grad_enabled:
        raise RuntimeError(f"{op}(): autograd does not support dtype {d.name}")


def _float_only(input: Tensor, op: str) -> None:
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"{op}(): expected a floating point tensor as input, got {input.dtype.name}"
        )


def _whole_float(input: Any, dim: Any, dtype: Any) -> bool:
    """A float tensor reduced over all its dims, no dtype given: the loss's ``sum()`` or
    ``mean()``, with nothing to normalise or cast (docs/performance.md)."""
    return (
        dim is None
        and dtype is None
        and isinstance(input, Tensor)
        and is_float(input._backend, input._data)
    )


def sum(
    input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None
) -> Tensor:
    """Sum over ``dim`` (all dims by default); integers and bools sum to int64."""
    if _whole_float(input, dim, dtype):
        return unary(SumBackward0, input, dims_of(None, input._data.ndim, "sum"), keepdim)
    _integer_result(input, dtype, "sum")
    if dtype is not None:
        input = input.to(dtype)
    elif not input.dtype.is_floating_point and input.dtype is not D.int64:
        input = input.to(D.int64)
    out = _reduce(SumBackward0, SumBackward1, input, dim, keepdim)
    # Backends may widen small integers when summing (NumPy sums int32 as int64).
    return out if dtype is None or out.dtype is D.as_dtype(dtype) else out.to(dtype)


def mean(
    input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: D.dtype | None = None
) -> Tensor:
    """Arithmetic mean over ``dim``; defined for floating dtypes (as in PyTorch)."""
    if _whole_float(input, dim, dtype):
        return unary(MeanBackward0, input, dims_of(None, input._data.ndim, "mean"), keepdim)
    if dtype is not None:
        input = input.to(dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype.name}"
        )
    return _reduce(MeanBackward0, MeanBackward1, input, dim, keepdim)


def prod(
    input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: D.dtype | None = None
) -> Tensor:
    """Product over ``dim`` (one dim, or all elements by default)."""
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"prod(): dim must be an int, got {type(dim).__name__}")
    _integer_result(input, dtype, "prod")
    if dtype is not None:
        input = input.to(dtype)
    elif not input.dtype.is_floating_point and input.dtype is not D.int64:
        input = input.to(D.int64)
    return _reduce(ProdBackward0, ProdBackward1, input, dim, keepdim)


def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (all dims when empty); g is shared among ties."""
    _check_nonempty(input, dim, "amax")
    return _reduce(AmaxBackward0, AmaxBackward0, input, None if dim == () else dim, keepdim)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (all dims when empty); g is shared among ties."""
    _check_nonempty(input, dim, "amin")
    return _reduce(AminBackward0, AminBackward0, input, None if dim == () else dim, keepdim)


def _check_nonempty(input: Tensor, dim: Any, op: str) -> None:
    """A reduction with no identity over nothing: PyTorch's errors, a RuntimeError without
    a dim (an IndexError for ``argmax``/``argmin``), an IndexError over a dim of zero size
    (an empty tensor reduces over dims of nonzero size, to an empty result)."""
    if input.numel() != 0:
        return
    if dim is None or dim == ():
        cls = IndexError if op.startswith("arg") else RuntimeError
        raise cls(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0. "
            "Specify the reduction dim with the 'dim' argument."
        )
    for d in dims_of(dim, input.ndim, op):
        if input.shape[d] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {d} to have non-zero size.")


def _max_min(
    cls_all: type[Node],
    cls_dim: type[Node],
    arg: Any,
    input: Tensor,
    dim: Any,
    keepdim: bool,
    other: Any,
) -> Any:
    if isinstance(dim, Tensor):
        other, dim = dim, None
    if other is not None:
        from ._ops_pointwise import maximum, minimum

        return (maximum if cls_all.op == "max" else minimum)(input, other)
    if dim is None:
        _check_nonempty(input, None, cls_all.op)
        return _reduce(cls_all, cls_all, input, None, False)
    axis = _dim(dim, input.ndim, cls_all.op)
    if input.ndim == 0:
        values, indices = _max_min(cls_all, cls_dim, arg, input.reshape(1), 0, False, None)
        return getattr(R, cls_all.op)((values, indices))
    if input.shape[axis] == 0:
        raise IndexError(f"{cls_all.op}(): Expected reduction dim {axis} to have non-zero size.")
    indices = _index_result(unary(arg, input, axis, keepdim))
    values = nary(cls_dim, (input, indices), axis, keepdim)
    return getattr(R, cls_all.op)((values, indices))


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """The maximum; with ``dim``, ``(values, indices)`` along it; with a tensor, ``maximum``."""
    return _max_min(MaxBackward1, MaxBackward0, _ArgReduce, input, dim, keepdim, other)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """The minimum; with ``dim``, ``(values, indices)`` along it; with a tensor, ``minimum``."""
    return _max_min(MinBackward1, MinBackward0, _ArgMin, input, dim, keepdim, other)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the maximum (first occurrence), over the flattened tensor if ``dim`` is None."""
    if input.dtype is D.bool_:  # before the empty check, as in PyTorch
        raise RuntimeError("argmax(): does not support bool input")
    _check_nonempty(input, dim, "argmax")
    if dim is None or input.ndim == 0:
        _dim(0 if dim is None else dim, input.ndim, "argmax")
        flat = _index_result(unary(_ArgReduce, input.reshape(-1), 0, False))
        return flat.reshape([1] * input.ndim) if keepdim else flat
    return _index_result(unary(_ArgReduce, input, _dim(dim, input.ndim, "argmax"), keepdim))


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the minimum (first occurrence), over the flattened tensor if ``dim`` is None."""
    if input.dtype is D.bool_:  # before the empty check, as in PyTorch
        raise RuntimeError("argmin(): does not support bool input")
    _check_nonempty(input, dim, "argmin")
    if dim is None or input.ndim == 0:
        _dim(0 if dim is None else dim, input.ndim, "argmin")
        flat = _index_result(unary(_ArgMin, input.reshape(-1), 0, False))
        return flat.reshape([1] * input.ndim) if keepdim else flat
    return _index_result(unary(_ArgMin, input, _dim(dim, input.ndim, "argmin"), keepdim))


def _index_result(t: Tensor) -> Tensor:
    """Indices are integers: never part of the graph, even when the input requires grad."""
    t._grad_fn = None
    t._requires_grad = False
    return t


def _var_args(dim: Any, unbiased: Any, correction: Any) -> tuple[Any, float]:
    """``var``/``std``'s ``(dim, correction)``. A dim passed where ``unbiased`` stands
    (``var(x, 0)``, PyTorch's positional form) is the dim."""
    if isinstance(unbiased, (int, tuple, list)) and not isinstance(unbiased, bool) and dim is None:
        dim, unbiased = unbiased, None
    if correction is not None:
        return dim, float(correction)
    return dim, 1.0 if unbiased is None or unbiased else 0.0


def var(
    input: Tensor,
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default, as PyTorch)."""
    dim, c = _var_args(dim, unbiased, correction)
    _float_only(input, "var")
    return _reduce(VarBackward0, VarBackward0, input, dim, keepdim, c)


def std(
    input: Tensor,
    dim: Any = None,
    unbiased: Any = None,
    keepdim: bool = False,
    *,
    correction: float | None = None,
) -> Tensor:
    """Standard deviation over ``dim`` with Bessel's ``correction`` (1 by default)."""
    dim, c = _var_args(dim, unbiased, correction)
    _float_only(input, "std")
    return _reduce(StdBackward0, StdBackward0, input, dim, keepdim, c)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(input), dim))`` without overflow."""
    return _reduce(LogsumexpBackward0, LogsumexpBackward0, input, dim, keepdim)


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """Vector p-norm over ``dim`` (``'fro'`` and 2 are the Euclidean norm)."""
    if p in ("fro", None):
        p = 2
    if not isinstance(p, (int, float)) or p <= 0:
        raise ValueError(f"norm(): p must be a positive number, inf or 'fro', got {p!r}")
    _float_only(input, "norm")
    axes = dims_of(None if _no_dims(dim) else dim, input.ndim, "norm")
    return unary(LinalgVectorNormBackward0, input, float(p), axes, keepdim)


def _truth(input: Tensor, dim: Any, keepdim: bool, test_all: bool) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{'all' if test_all else 'any'}(): expected a Tensor, got {type(input).__name__}"
        )
    from ._ops_pointwise import ne

    nonzero = ne(input, 0) if input.dtype is not D.bool_ else input
    axes = dims_of(dim, input.ndim, "all" if test_all else "any")
    cls = _All if test_all else _Any
    return unary(cls, nonzero, axes, keepdim)


class _All(Node):
    differentiable = False
    op = "all"
    # Counts of 0/1 integers (the Array API defines no min/max of bools, and a sum over
    # nothing is 0): no false element, or some true one.
    forward = staticmethod(
        lambda k, x, axes, keepdim: k.eq(k.sum(k.astype(k.eq(x, False), D.int64), axes, keepdim), 0)
    )


class _Any(_All):
    op = "any"
    forward = staticmethod(
        lambda k, x, axes, keepdim: k.ne(k.sum(k.astype(x, D.int64), axes, keepdim), 0)
    )


def all(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether every element (along ``dim``) is nonzero; a bool tensor, not differentiable."""
    if input.numel() == 0 and dim is None:
        return input.new_ones((), dtype=D.bool_)
    return _truth(input, dim, keepdim, True)


def any(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """Whether any element (along ``dim``) is nonzero; a bool tensor, not differentiable."""
    if input.numel() == 0 and dim is None:
        return input.new_zeros((), dtype=D.bool_)
    return _truth(input, dim, keepdim, False)
