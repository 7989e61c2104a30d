"""dtype promotion as PyTorch's ``result_type``: Python scalars, 0-d tensors, categories."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

DTYPES = ["bool", "int32", "int64", "float16", "float32", "float64"]
SCALARS: list[Any] = [True, 2, 2.5]


def _tp(dtype: str, ndim: int) -> tp.Tensor:
    return tp.ones(tuple([2] * ndim), dtype=getattr(tp, dtype))


def _torch(dtype: str, ndim: int) -> Any:
    return torch.ones(tuple([2] * ndim), dtype=getattr(torch, dtype))


def _name(d: Any) -> str:
    return str(d).split(".")[-1]


OPS = [
    ("add", lambda a, b: a + b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b),
    ("maximum", lambda a, b: a.maximum(b)),
    ("where", lambda a, b: a.where(a > 0, b)),
]


@pytest.mark.parametrize(("da", "db"), list(itertools.product(DTYPES, DTYPES)))
@pytest.mark.parametrize(("na", "nb"), [(1, 1), (1, 0), (0, 1), (0, 0)])
def test_tensor_tensor_promotion(da: str, db: str, na: int, nb: int) -> None:
    ta, tb = _torch(da, na), _torch(db, nb)
    assert tp.add(_tp(da, na), _tp(db, nb)).dtype.name == _name(torch.result_type(ta, tb))
    for op, fn in OPS:
        got = fn(_tp(da, na), _tp(db, nb)).dtype.name
        assert got == _name(fn(ta, tb).dtype), op


@pytest.mark.parametrize("da", DTYPES)
@pytest.mark.parametrize("scalar", SCALARS, ids=["bool", "int", "float"])
@pytest.mark.parametrize("ndim", [0, 1])
def test_tensor_scalar_promotion(da: str, scalar: Any, ndim: int) -> None:
    t, p = _torch(da, ndim), _tp(da, ndim)
    assert (p * scalar).dtype.name == _name(torch.result_type(t, scalar))
    assert (scalar * p).dtype.name == _name((scalar * t).dtype)
    assert (p / scalar).dtype.name == _name((t / scalar).dtype)
    if da != "bool" and not isinstance(scalar, bool):
        assert (p - scalar).dtype.name == _name((t - scalar).dtype)
        assert (scalar - p).dtype.name == _name((scalar - t).dtype)
    assert (p > scalar).dtype is tp.bool


def test_python_float_does_not_promote_float32() -> None:
    x = tp.ones(3)
    assert (x * 2.5).dtype is tp.float32
    assert (x + 1e300 * 0).dtype is tp.float32
    assert (tp.ones(3, dtype=tp.float16) * 2.0).dtype is tp.float16


def test_zero_dim_tensor_does_not_promote_within_category() -> None:
    assert (tp.ones(3) * tp.tensor(2.0, dtype=tp.float64)).dtype is tp.float32
    assert (tp.ones(3, dtype=tp.int32) + tp.tensor(2)).dtype is tp.int32
    assert (tp.ones(3, dtype=tp.int32) + tp.tensor(2.0, dtype=tp.float64)).dtype is tp.float64
    assert (tp.tensor(2.0, dtype=tp.float64) * tp.tensor(1.0)).dtype is tp.float64


@pytest.mark.parametrize(("a", "b"), list(itertools.product(DTYPES, DTYPES)))
def test_promote_types(a: str, b: str) -> None:
    got = tp.promote_types(getattr(tp, a), getattr(tp, b))
    assert got.name == _name(torch.promote_types(getattr(torch, a), getattr(torch, b)))


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, x: x.exp(),
        lambda lib, x: x.sqrt(),
        lambda lib, x: x.sum(),
        lambda lib, x: x.prod(),
        lambda lib, x: x.abs(),
        lambda lib, x: -x if x.dtype != lib.bool else x,
        lambda lib, x: x.max(),
        lambda lib, x: x.argmax(),
        lambda lib, x: x.float(),
        lambda lib, x: x.double(),
        lambda lib, x: x.long(),
        lambda lib, x: x.sigmoid(),
        lambda lib, x: x**2,
        lambda lib, x: x**0.5,
        lambda lib, x: lib.pow(x, True),
        lambda lib, x: x**False,
        lambda lib, x: lib.where(x > 0, x, 0.5),
        lambda lib, x: x.clamp(0.5, 2),
        lambda lib, x: 2.0**x,
        lambda lib, x: 2**x,
        lambda lib, x: lib.add(x, 3, alpha=2),
        lambda lib, x: x.clamp(min=1),
        lambda lib, x: x.clamp_min(0.5),
        lambda lib, x: x.clamp_max(1.5),
    ],
)
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float32", "float64"])
def test_result_dtypes_of_ops(fn: Any, dtype: str) -> None:
    try:
        want = fn(torch, _torch(dtype, 1)).dtype
    except (RuntimeError, NotImplementedError) as e:
        # PyTorch rejects this op for this dtype: so must tensorplug, with the same kind of error
        with pytest.raises(type(e)):
            fn(tp, _tp(dtype, 1))
        return
    assert fn(tp, _tp(dtype, 1)).dtype.name == _name(want)


def test_creation_dtypes() -> None:
    assert tp.tensor([1, 2]).dtype is tp.int64
    assert tp.tensor([1.0, 2]).dtype is tp.float32
    assert tp.tensor([True, False]).dtype is tp.bool
    assert tp.tensor(3).dtype is tp.int64
    assert tp.zeros(2).dtype is tp.float32
    assert tp.arange(5).dtype is tp.int64
    assert tp.arange(0, 1, 0.25).dtype is tp.float32
    assert tp.full((2,), 7).dtype is tp.int64
    assert tp.full((2,), 7.0).dtype is tp.float32
    assert tp.randint(0, 5, (3,)).dtype is tp.int64
    assert tp.ones(2, dtype=tp.float64).double().dtype is tp.float64


@pytest.mark.parametrize(
    "data",
    [
        np.float64(2.5),
        np.float32(1.0),
        [np.float64(1.0), 2.0],
        [2.0, np.float64(1.0)],
        [1, np.int32(2)],
        [np.int32(1)],
        [True, 1.5],
        [[1, 2], [3, 4.5]],
        [np.array([1, 2], dtype=np.int32), np.array([3, 4], dtype=np.int32)],
    ],
    ids=str,
)
@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy")
def test_inferred_dtype_matches_torch(data: Any) -> None:
    assert tp.tensor(data).dtype.name == _name(torch.tensor(data).dtype)


def test_sum_of_ints_is_int64() -> None:
    assert tp.ones(3, dtype=tp.int32).sum().dtype is tp.int64
    assert tp.tensor([True, True]).sum().item() == 2


def test_inplace_keeps_dtype_and_refuses_unsafe_cast() -> None:
    x = tp.zeros(2)
    x.add_(tp.ones(2, dtype=tp.float64))
    assert x.dtype is tp.float32
    i = tp.zeros(2, dtype=tp.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.add_(1.5)


@pytest.mark.parametrize("scalar", [np.float64(2.5), np.float32(2.0), np.float64(-1.5), 2.5, 3])
@pytest.mark.parametrize(
    "expr",
    [
        lambda x, s: x**s,
        lambda x, s: s**x,
        lambda x, s: x + s,
        lambda x, s: x * s,
        lambda x, s: s - x,
        lambda x, s: x.clamp(min=s),
    ],
    ids=["pow", "rpow", "add", "mul", "rsub", "clamp"],
)
def test_numpy_scalars_act_as_python_numbers_as_in_torch(expr: Any, scalar: Any) -> None:
    for dtype in ("float32", "float16"):
        ours = expr(tp.ones(2, dtype=getattr(tp, dtype)), scalar)
        theirs = expr(torch.ones(2, dtype=getattr(torch, dtype)), scalar)
        assert ours.dtype.name == _name(theirs.dtype), (dtype, scalar)


BITWISE_OPERANDS: list[Any] = [
    ("bool", [True, False, False, True]),
    ("int32", [-3, 5, -4, 6]),
    ("int64", [-3, 5, -4, 7]),
    ("float32", [1.0, 2.0, 0.0, -1.0]),
    ("number", True),
    ("number", 1),
    ("number", -3),
    ("number", 1.5),
]


@pytest.mark.parametrize("op", ["and_", "or_"])
@pytest.mark.parametrize("a", BITWISE_OPERANDS[:4], ids=lambda a: a[0])
@pytest.mark.parametrize("b", BITWISE_OPERANDS, ids=lambda b: f"{b[0]}_{b[1]}"[:12])
def test_bitwise_and_or_promote_and_compute_as_pytorch(op: str, a: Any, b: Any) -> None:
    """``&``/``|`` bit by bit on integers (``True | -3`` is -3), logical on two bools,
    promoted as PyTorch (``bool | int32`` int32, ``bool | 1`` int64); either order; floats
    raise PyTorch's NotImplementedError."""
    import operator

    f = getattr(operator, op)
    for swap in (False, True):
        got = []
        for lib in (tp, torch):
            x = lib.tensor(a[1], dtype=getattr(lib, a[0]))
            y = b[1] if b[0] == "number" else lib.tensor(b[1], dtype=getattr(lib, b[0]))
            try:
                r = f(y, x) if swap else f(x, y)
            except NotImplementedError:
                got.append("NotImplementedError")
                continue
            got.append((r.tolist(), _name(r.dtype)))
        assert got[0] == got[1], (swap, got)


# -- finfo and iinfo ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int32", "int64"])
def test_finfo_and_iinfo_are_pytorchs(name: str) -> None:
    info, tinfo = (tp.finfo, torch.finfo) if "float" in name else (tp.iinfo, torch.iinfo)
    ours, theirs = info(getattr(tp, name)), tinfo(getattr(torch, name))
    assert repr(ours) == repr(theirs)
    for attr in ours.__slots__:
        assert getattr(ours, attr) == getattr(theirs, attr), attr
        assert type(getattr(ours, attr)) is type(getattr(theirs, attr)), attr


def test_finfo_defaults_and_errors() -> None:
    assert tp.finfo() == tp.finfo(tp.get_default_dtype()) and tp.finfo().bits == 32
    assert tp.finfo(float).dtype == "float64" and tp.iinfo(int).dtype == "int64"
    assert tp.finfo(tp.float32) != tp.finfo(tp.float64)
    with pytest.raises(AttributeError, match="not writable"):
        tp.finfo().eps = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError, match=r"finfo\(\) requires a floating point input type"):
        tp.finfo(tp.int32)
    with pytest.raises(TypeError, match=r"iinfo\(\) requires an integer input type"):
        tp.iinfo(tp.float32)
    with pytest.raises(TypeError, match=r"tensorplug\.bool is not supported by tensorplug\.iinfo"):
        tp.iinfo(tp.bool)
    with pytest.raises(TypeError, match="unhashable"):
        hash(tp.finfo())
