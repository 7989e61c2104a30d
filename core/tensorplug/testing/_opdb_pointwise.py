"""Op-database entries of the pointwise ops: arithmetic, functions, comparisons, clamps."""

# NumPy's stubs type most compositions of ufuncs as Any; references return arrays.
# mypy: disable-error-code="no-any-return"

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import tensorplug as tp

from .. import _dtype as D
from ._compare import Tol
from ._opdb_rounding import div_ref, rounding_mode_errors, with_rounding_modes
from ._opinfo import (
    FLOATS,
    NUMERIC,
    ErrorInput,
    OpInfo,
    SampleInput,
    TorchRef,
    Variant,
    inplace,
    method,
)
from ._samples import (
    SPECIAL,
    Gen,
    S,
    away,
    binary,
    broadcast_errors,
    distinct,
    errors_of,
    sigmoid_ref,
    to_bool,
    torch_function,
    unary,
    uniform,
)

F16_ALPHA = {D.float16: Tol(1e-3, 1e-3, "alpha * other is rounded to float16 before the sum")}


def _arithmetic(name: str, op: Callable[..., Any], iop: Callable[..., Any]) -> TorchRef:
    """An arithmetic op's spellings, as ``add``'s: ``x.add(y)``, ``x + y``,
    ``x.clone().add_(y)`` and ``x += y`` (on a copy)."""
    return TorchRef(
        name,
        (
            method(name),
            Variant("operator", op),
            inplace(name + "_"),
            Variant("operator_inplace", lambda a, b: iop(a.clone(), b)),
        ),
    )


def _with_alpha(
    gen: Callable[[Gen], Iterator[SampleInput]],
) -> Callable[[Gen], Iterator[SampleInput]]:
    """``add``'s and ``sub``'s samples, and ``other`` scaled by ``alpha`` (an integer, so
    integer inputs stay integer; float16 rounds ``alpha * other`` before the sum: ``F16_ALPHA``)."""

    def samples(rng: Gen) -> Iterator[SampleInput]:
        yield from gen(rng)
        yield S("alpha", (uniform(rng, (3, 4)), uniform(rng, (3, 4))), {"alpha": 3})
        yield S("alpha_scalar", (uniform(rng, (3,)), 3), {"alpha": -2})

    return samples


def _pow_samples(rng: Gen) -> Iterator[SampleInput]:
    yield from binary(0.5, 2.0, -1.5, 1.5, scalar=3)(rng)
    yield S("float_exponent", (uniform(rng, (3, 4), 0.5, 2.0), 2.5))
    yield S("negative_exponent", (uniform(rng, (3, 4), 0.5, 2.0), -1))
    yield S("zero_exponent", (uniform(rng, (3, 4)), 0))
    yield S("true_exponent", (uniform(rng, (3, 4)), True))
    yield S("false_exponent", (uniform(rng, (2, 3)), False))


def _reflected(
    lo: float = -2.0,
    hi: float = 2.0,
    *,
    kink: bool = False,
    floats: bool = False,
    negative: int = -3,
) -> Callable[[Gen], Iterator[SampleInput]]:
    """A number on the left of a tensor (``2 - x``); ``floats``: float numbers too;
    ``negative``: the 0-d sample's number (``2 ** x`` wants a positive one)."""

    def gen(rng: Gen) -> Iterator[SampleInput]:
        def x(*shape: int) -> np.ndarray:
            return away(rng, shape) if kink else uniform(rng, shape, lo, hi)

        yield S("nd", (x(3, 4), 2))
        yield S("0d", (x(), negative))
        yield S("1d", (x(5), 2))
        yield S("empty", (x(0, 3), 2))
        if floats:
            yield S("float_scalar", (x(2, 3), 2.5))
        yield S("special", (SPECIAL.copy(), 2), group="special")

    return gen


def _reflected_op(
    name: str,
    call: Callable[..., Any],
    samples: Callable[[Gen], Iterator[SampleInput]],
    other_nodes: tuple[tuple[str, str], ...] = (),
    **kw: Any,
) -> OpInfo:
    """``number OP tensor``, which Python turns into the tensor's ``__rOP__``: one call serves
    as the op, its NumPy reference and its PyTorch spelling."""
    return OpInfo(
        name,
        call,
        call,
        samples,
        namespace="tensorplug.Tensor",
        torch_ref=TorchRef(call, other_nodes=other_nodes),
        **kw,
    )


def _add_ref(a: Any, b: Any, alpha: Any = 1) -> Any:
    return np.add(a, np.multiply(alpha, b))


def _sub_ref(a: Any, b: Any, alpha: Any = 1) -> Any:
    return np.subtract(a, np.multiply(alpha, b))


def _unary(name: str, op: Callable[..., Any] | None = None) -> TorchRef:
    """``torch.exp``, and ``x.exp()`` (and the operator, ``-x``, ``abs(x)``)."""
    return torch_function(name, *(() if op is None else (Variant("operator", op),)))


def pointwise_ops() -> list[OpInfo]:
    ops = [
        OpInfo(
            "add",
            tp.add,
            _add_ref,
            _with_alpha(binary()),
            dtypes=NUMERIC,
            errors=broadcast_errors(),
            tolerances=F16_ALPHA,
            torch_ref=_arithmetic("add", operator.add, operator.iadd),
        ),
        OpInfo(
            "sub",
            tp.sub,
            _sub_ref,
            _with_alpha(binary()),
            dtypes=NUMERIC,
            aliases=("subtract",),
            tolerances=F16_ALPHA,
            torch_ref=_arithmetic("sub", operator.sub, operator.isub),
        ),
        OpInfo(
            "mul",
            tp.mul,
            np.multiply,
            binary(),
            dtypes=NUMERIC,
            aliases=("multiply",),
            torch_ref=_arithmetic("mul", operator.mul, operator.imul),
        ),
        OpInfo(
            "div",
            tp.div,
            div_ref,
            with_rounding_modes(binary(rlo=0.5, rhi=2.0)),
            aliases=("divide", "true_divide"),
            torch_ref=_arithmetic("div", operator.truediv, operator.itruediv),
            errors=rounding_mode_errors(),
        ),
        OpInfo(
            "pow",
            tp.pow,
            np.power,
            _pow_samples,
            torch_ref=TorchRef("pow", (method("pow"), Variant("operator", operator.pow))),
        ),
        _reflected_op("__radd__", lambda x, s: s + x, _reflected(), dtypes=NUMERIC),
        _reflected_op("__rsub__", lambda x, s: s - x, _reflected(), dtypes=NUMERIC),
        _reflected_op("__rmul__", lambda x, s: s * x, _reflected(), dtypes=NUMERIC),
        _reflected_op(
            "__rtruediv__",
            lambda x, s: s / x,
            _reflected(kink=True, floats=True),
            dtypes=FLOATS,
            other_nodes=(("*", "PyTorch multiplies by the reciprocal (MulBackward0)"),),
        ),
        _reflected_op(
            "__rpow__", lambda x, s: s**x, _reflected(floats=True, negative=3), dtypes=FLOATS
        ),
        OpInfo(
            "maximum",
            tp.maximum,
            np.maximum,
            binary(kink=True, scalar=None),
            dtypes=NUMERIC,
            torch_ref=torch_function("maximum"),
        ),
        OpInfo(
            "minimum",
            tp.minimum,
            np.minimum,
            binary(kink=True, scalar=None),
            dtypes=NUMERIC,
            torch_ref=torch_function("minimum"),
        ),
        OpInfo(
            "neg",
            tp.neg,
            np.negative,
            unary(),
            dtypes=NUMERIC,
            aliases=("negative",),
            torch_ref=_unary("neg", operator.neg),
        ),
        OpInfo("exp", tp.exp, np.exp, unary(), torch_ref=_unary("exp")),
        OpInfo("log", tp.log, np.log, unary(0.25, 3.0), torch_ref=_unary("log")),
        OpInfo("log1p", tp.log1p, np.log1p, unary(-0.5, 2.0), torch_ref=_unary("log1p")),
        OpInfo("expm1", tp.expm1, np.expm1, unary(), torch_ref=_unary("expm1")),
        OpInfo("sqrt", tp.sqrt, np.sqrt, unary(0.25, 3.0), torch_ref=_unary("sqrt")),
        OpInfo(
            "rsqrt",
            tp.rsqrt,
            lambda x: 1.0 / np.sqrt(x),
            unary(0.25, 3.0),
            torch_ref=_unary("rsqrt"),
        ),
        OpInfo(
            "reciprocal",
            tp.reciprocal,
            lambda x: 1.0 / x,
            unary(kink=True),
            torch_ref=_unary("reciprocal"),
        ),
        OpInfo(
            "abs", tp.abs, np.abs, unary(kink=True), dtypes=NUMERIC, torch_ref=_unary("abs", abs)
        ),
        OpInfo("sin", tp.sin, np.sin, unary(), torch_ref=_unary("sin")),
        OpInfo("cos", tp.cos, np.cos, unary(), torch_ref=_unary("cos")),
        OpInfo("tanh", tp.tanh, np.tanh, unary(), torch_ref=_unary("tanh")),
        OpInfo("sigmoid", tp.sigmoid, sigmoid_ref, unary(), torch_ref=_unary("sigmoid")),
        OpInfo(
            "relu",
            tp.relu,
            lambda x: np.maximum(x, 0.0),
            unary(kink=True),
            dtypes=NUMERIC,
            torch_ref=_unary("relu"),
        ),
        OpInfo(
            "sign",
            tp.sign,
            lambda x: np.where(np.isnan(x), 0.0, np.sign(x)),  # sign(nan) is 0, as in PyTorch
            unary(kink=True),
            dtypes=NUMERIC,
            torch_ref=_unary("sign"),
        ),
        OpInfo("square", tp.square, np.square, unary(), dtypes=NUMERIC, torch_ref=_unary("square")),
        OpInfo(
            "clamp",
            tp.clamp,
            _clamp_ref,
            _clamp_samples,
            dtypes=NUMERIC,
            aliases=("clip",),
            torch_ref=TorchRef(
                "clamp",
                (method("clamp"), method("clip"), inplace("clamp_")),
            ),
            errors=errors_of(
                ErrorInput(
                    S("no_bounds", (np.ones(2),)),
                    RuntimeError,
                    "(?i)at least one of 'min' or 'max'",
                ),
                ErrorInput(S("mixed_bounds", (np.ones(2), np.ones(2), 1.0)), TypeError, "both"),
            ),
        ),
        OpInfo(
            "clamp_min",
            tp.clamp_min,
            lambda x, m: np.maximum(x, m),
            _clamp_one(),
            dtypes=NUMERIC,
            torch_ref=torch_function("clamp_min"),
        ),
        OpInfo(
            "clamp_max",
            tp.clamp_max,
            lambda x, m: np.minimum(x, m),
            _clamp_one(),
            dtypes=NUMERIC,
            torch_ref=torch_function("clamp_max"),
        ),
        OpInfo(
            "where",
            tp.where,
            np.where,
            _where_samples,
            dtypes=NUMERIC,
            torch_ref=TorchRef("where", (Variant("method", lambda c, x, y: x.where(c, y)),)),
        ),
    ]
    for name, f in [
        ("eq", np.equal),
        ("ne", np.not_equal),
        ("lt", np.less),
        ("le", np.less_equal),
        ("gt", np.greater),
        ("ge", np.greater_equal),
    ]:
        ops.append(
            OpInfo(
                name,
                getattr(tp, name),
                f,
                _compare_samples,
                dtypes=NUMERIC,
                grad_dtypes=(),
                supports_autograd=False,
                result_dtype=to_bool,
                torch_ref=torch_function(name, Variant("operator", getattr(operator, name))),
            )
        )
    return ops


def _clamp_ref(x: np.ndarray, min: Any = None, max: Any = None) -> np.ndarray:
    if min is not None:
        x = np.maximum(x, min)
    if max is not None:
        x = np.minimum(x, max)
    return x


def _clamp_samples(rng: Gen) -> Iterator[SampleInput]:
    # Bounds sit between the sample values (which are multiples of 0.5 plus 0.125).
    # Integer bounds keep integer inputs integer.
    yield S("nd_both", (distinct(rng, (3, 4)),), {"min": -1, "max": 1})
    yield S("min_only", (distinct(rng, (5,)),), {"min": 0})
    yield S("max_only", (distinct(rng, (2, 3)),), {"max": 0})
    yield S("0d", (np.array(1.625),), {"min": -1, "max": 1})
    yield S("empty", (np.ones((0, 2)),), {"min": -1, "max": 1})
    yield S("special", (SPECIAL.copy(),), {"min": -1.0, "max": 1.0}, group="special")
    yield S("positional", (distinct(rng, (3, 4)), -1, 1))
    # Bounds that are tensors, broadcast against the input; they sit at 0.375 (mod 0.5), a
    # quarter away from every input value, and every lower bound is below every upper one.
    lo, hi = distinct(rng, (4,)) - 0.75, distinct(rng, (3, 1)) + 1.0
    yield S("tensor_bounds", (distinct(rng, (3, 4)), lo, hi), broadcasts=True)
    # Ties (the input keeps the gradient, not halved as by maximum) and a lower bound above
    # the upper one (the upper wins): PyTorch's conventions, not derivatives.
    x = distinct(rng, (2, 3))
    lo, hi = x.copy(), x + 1.0
    lo[0, 1], hi[1, 2] = x[0, 1] + 2.0, x[1, 2] - 1.0
    yield S("tensor_ties_crossed", (x, lo, hi), group="forward_only")
    yield S("tensor_min_only", (distinct(rng, (3, 4)),), {"min": distinct(rng, (4,)) - 0.75})


def _clamp_one() -> Callable[[Gen], Iterator[SampleInput]]:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        yield S("nd", (distinct(rng, (3, 4)), 0))
        yield S("0d", (np.array(-1.375), 0))
        yield S("empty", (np.ones((0, 2)), 0))
        yield S("special", (SPECIAL.copy(), 0.5), group="special")
        yield S("tensor", (distinct(rng, (3, 4)), distinct(rng, (4,)) - 0.75), broadcasts=True)
        x = distinct(rng, (5,))
        yield S("tensor_ties", (x, x.copy()), group="forward_only")  # the input keeps g

    return gen


def _where_samples(rng: Gen) -> Iterator[SampleInput]:
    cond = rng.uniform(size=(3, 4)) > 0.5
    yield S("nd", (cond, uniform(rng, (3, 4)), uniform(rng, (3, 4))))
    yield S("broadcast", (cond[:, :1], uniform(rng, (3, 4)), uniform(rng, (4,))), broadcasts=True)
    yield S("scalar_other", (cond, uniform(rng, (3, 4)), 2))
    yield S("0d", (np.array(True), uniform(rng, ()), uniform(rng, ())))
    yield S("empty", (np.zeros((0, 2), bool), uniform(rng, (0, 2)), uniform(rng, (0, 2))))
    yield S("special", (cond[0, :], SPECIAL[:4].copy(), SPECIAL[3:].copy()), group="special")


def _compare_samples(rng: Gen) -> Iterator[SampleInput]:
    a = np.round(uniform(rng, (3, 4)))
    b = a.copy()
    b[0] += 1.0  # some equal, some not
    yield S("nd", (a, b))
    yield S("broadcast_rhs", (a, b[1]), broadcasts=True)
    yield S("scalar_rhs", (a, 1))
    yield S("0d", (np.array(1.0), np.array(1.0)))
    yield S("empty", (np.ones((0, 3)), np.ones((0, 3))))
    yield S("special", (SPECIAL.copy(), SPECIAL[::-1].copy()), group="special")
