"""The conformance kit itself: gradcheck finds wrong gradients and names the worst element,
assert_close applies per-dtype tolerances, samples are deterministic and cover what the suite
promises, and cases follow what a backend claims."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import _ops_pointwise as P
from tensorplug.plugins import Backend, KnownFailure
from tensorplug.testing import (
    GradcheckError,
    assert_close,
    gradcheck,
    gradgradcheck,
    jacobians,
    op_db,
)
from tensorplug.testing._cases import Case, Selection, generate, matches
from tensorplug.testing._opdb import OPS


def _x(*values: float) -> tp.Tensor:
    return tp.tensor(list(values), dtype=tp.float64, requires_grad=True)


@pytest.fixture
def broken_sin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """sin's backward written as g * sin(x) instead of g * cos(x)."""
    monkeypatch.setattr(
        P.SinBackward0, "backward", staticmethod(lambda ctx, ops, g, x: (ops.mul(g, ops.sin(x)),))
    )
    yield


def test_gradcheck_passes_correct_gradients() -> None:
    x, y = _x(0.5, 1.5, -2.0), _x(1.0, 2.0, 3.0)
    assert gradcheck(lambda a, b: (a * b).sin() / b, [x, y])
    assert gradcheck(lambda a, b: (a * b).sin() / b, [x, y], fast_mode=False)
    assert gradgradcheck(lambda a, b: (a * b).exp() * a, [x, y])


@pytest.mark.parametrize("fast_mode", [True, False])
def test_gradcheck_names_the_worst_element(broken_sin: None, fast_mode: bool) -> None:
    x = _x(0.1, 1.2, 2.9)
    with pytest.raises(GradcheckError) as err:
        gradcheck(lambda t: t.sin(), [x], name="sin-sample", fast_mode=fast_mode)
    msg = str(err.value)
    assert "gradcheck(sin-sample)" in msg and "worst element" in msg
    # cos - sin is largest in magnitude at x = 2.9: index 2.
    assert "d output[2] / d input[2]" in msg
    assert f"analytic {np.sin(2.9):.8g}" in msg  # g * sin(x), as broken
    assert re.search(r"numerical -0\.9709\d", msg)  # cos(2.9) = -0.970958...
    assert "analytic Jacobian" in msg  # small enough to print in full


def _tanh_backward_detached(ctx: object, ops: object, g: tp.Tensor, out: tp.Tensor) -> tuple:
    """Right values, but with ``create_graph`` one factor of ``out`` is cut from the graph."""
    out2 = out.detach() if isinstance(out, tp.Tensor) else out
    return (ops.mul(g, ops.sub(1.0, ops.mul(out, out2))),)  # type: ignore[attr-defined]


def test_gradgradcheck_finds_a_wrong_double_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    x = _x(0.3, -0.7)
    monkeypatch.setattr(P.TanhBackward0, "backward", staticmethod(_tanh_backward_detached))
    assert gradcheck(lambda t: t.tanh(), [x])  # first derivatives are still right
    with pytest.raises(GradcheckError, match="double backward"):
        gradgradcheck(lambda t: t.tanh(), [x])


def test_gradcheck_requires_float64_inputs() -> None:
    x = tp.tensor([1.0, 2.0], requires_grad=True)  # float32
    with pytest.raises(GradcheckError, match="float64"):
        gradcheck(lambda t: t * 2, [x])


def test_jacobians_of_a_linear_map() -> None:
    a = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]])
    m = tp.tensor(a, dtype=tp.float64)
    ana, num = jacobians(lambda v: m @ v, [_x(0.2, 0.4)])
    np.testing.assert_allclose(ana[0][0], a)
    np.testing.assert_allclose(num[0][0], a, rtol=1e-6)


def test_assert_close_per_dtype() -> None:
    assert_close(tp.tensor([1.0], dtype=tp.float32), tp.tensor([1.0 + 1e-6], dtype=tp.float32))
    with pytest.raises(AssertionError, match="worst at index"):
        assert_close(tp.tensor([1.0], dtype=tp.float64), tp.tensor([1.0 + 1e-6], dtype=tp.float64))
    assert_close(tp.tensor([1.0], dtype=tp.float16), tp.tensor([1.0009765625], dtype=tp.float16))
    with pytest.raises(AssertionError):
        assert_close(tp.tensor([3]), tp.tensor([4]))  # integers are exact
    with pytest.raises(AssertionError, match="dtype mismatch"):
        assert_close(tp.tensor([1.0]), tp.tensor([1.0], dtype=tp.float64))
    with pytest.raises(AssertionError, match="shape mismatch"):
        assert_close(tp.tensor([1.0]), tp.tensor([1.0, 1.0]))


def test_assert_close_special_values() -> None:
    nan, inf = float("nan"), float("inf")
    assert_close(tp.tensor([nan, inf, -inf]), tp.tensor([nan, inf, -inf]))
    for a, b in [([nan], [0.0]), ([inf], [-inf]), ([inf], [1e30]), ([1e30], [inf]), ([0.0], [nan])]:
        with pytest.raises(AssertionError):
            assert_close(tp.tensor(a), tp.tensor(b), rtol=1.0, atol=1e38)


def test_samples_are_deterministic_and_named() -> None:
    for info in op_db:
        first, second = info.sample_inputs(), info.sample_inputs()
        names = [s.name for s in first]
        assert len(names) == len(set(names)), f"{info.name}: duplicate sample names {names}"
        for a, b in zip(first, second):
            for x, y in zip(a.args, b.args):
                if isinstance(x, np.ndarray):
                    np.testing.assert_array_equal(x, y)


def test_pointwise_samples_cover_the_promised_cases() -> None:
    for name in ["add", "mul", "div", "exp", "log", "sin", "tanh", "abs", "relu", "maximum"]:
        samples = {s.name: s for s in OPS[name].sample_inputs()}
        assert {"0d", "empty", "1d"} <= set(samples), name
        assert samples["special"].group == "special", name
        values = np.concatenate([np.ravel(a) for a in samples["special"].args])
        assert (
            np.isnan(values).any()
            and np.isinf(values).any()
            and (np.signbit(values) & (values == 0)).any()
        ), name
    assert any(s.broadcasts for s in OPS["add"].sample_inputs())


def _toy(dtypes: tuple[tp.dtype, ...], drop: tuple[str, ...] = ()) -> Backend:
    base = tp.get_backend("numpy")
    kernels = {k: f for k, f in base.kernels.items() if k not in drop}
    return Backend(name="toy_unit", kernels=kernels, dtypes={d: base.dtypes[d] for d in dtypes})


def test_cases_follow_the_backend_claims() -> None:
    be = _toy((tp.float32, tp.float64, tp.int64), drop=("scatter_add",))
    forward = list(generate("forward", op_db, be, Selection(ops=("exp",))))
    assert {c.dtype for c in forward} == {tp.float32, tp.float64}
    unsupported = list(generate("unsupported", op_db, be, Selection(ops=("exp", "nll_loss"))))
    missing = {(c.op_name, c.missing) for c in unsupported}
    assert ("exp", "dtype_float16") in missing
    assert ("nll_loss", "kernel_scatter_add") in missing
    assert not any(
        c.op_name == "nll_loss"
        for c in generate("gradcheck", op_db, be, Selection(ops=("nll_loss",)))
    )
    quick = list(generate("forward", op_db, be, Selection(ops=("exp",), quick=True)))
    assert len(quick) == 2  # one sample per dtype


def test_known_failure_selectors_glob() -> None:
    case = Case("gradcheck", OPS["exp"], tp.float64, OPS["exp"].sample_inputs()[0])
    assert matches(KnownFailure("exp", "r", family="grad*"), case)
    assert matches(KnownFailure("e*", "r", dtype="float64", sample="nd"), case)
    assert not matches(KnownFailure("exp", "r", family="forward"), case)
    assert not matches(KnownFailure("exp", "r", dtype="float32"), case)
