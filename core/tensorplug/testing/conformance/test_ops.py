"""Op families: forward against the NumPy reference, layouts, gradients, errors, claims."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug._dtype import as_dtype
from tensorplug.autograd import grad as autograd_grad
from tensorplug.plugins import Backend, UnsupportedOperation
from tensorplug.testing import gradcheck, gradgradcheck
from tensorplug.testing._cases import Case, Tolerances
from tensorplug.testing._compare import Tol, mismatch, to_numpy
from tensorplug.testing._opinfo import NP_DTYPE, Bound, SampleInput
from tensorplug.testing.pytest_plugin import family


def _outputs(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _check(actual: Any, expected: np.ndarray, tol: Tol, what: str) -> None:
    problem = mismatch(to_numpy(actual), expected, tol)
    if problem:
        raise AssertionError(f"{what}: {problem}")


@family("forward")
def test_forward(case: Case, tp_backend: Backend, tp_tolerances: Tolerances) -> None:
    """Values, dtype, shape and device against the NumPy float64 reference."""
    info, d, s = case.op, case.dtype, case.sample
    assert info is not None and d is not None and s is not None and info.ref is not None
    bound = s.bind(tp_backend, d)
    outs = _outputs(bound.call(info.op))
    args, kwargs = s.host_args(d)
    with np.errstate(all="ignore"):
        refs = [np.asarray(r) for r in _outputs(info.ref(*args, **kwargs))]
    assert len(outs) == len(refs), f"{case.id}: {len(outs)} outputs, reference has {len(refs)}"
    device = bound.tensors[0].device
    for i, (out, ref) in enumerate(zip(outs, refs)):
        what = f"{case.id} output {i}"
        assert isinstance(out, tp.Tensor), f"{what}: got {type(out).__name__}, not a Tensor"
        want = info.result_dtype(d) if ref.dtype.kind == "f" else as_dtype(ref.dtype)
        assert out.dtype is want, f"{what}: dtype {out.dtype.name}, expected {want.name}"
        assert out.shape == ref.shape, (
            f"{what}: shape {list(out.shape)}, expected {list(ref.shape)}"
        )
        assert out.backend == tp_backend.name and out.device == device, (
            f"{what}: on {out.backend} {out.device}, expected {tp_backend.name} {device}"
        )
        with np.errstate(all="ignore"):
            expected: np.ndarray = ref.astype(NP_DTYPE[want])
        _check(out, expected, tp_tolerances.get(info, want), what)


def _cotangents(outs: list[Any], seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    return [
        tp.tensor(rng.standard_normal(o.shape), dtype=o.dtype, backend=o._backend) for o in outs
    ]


def _grads(
    case: Case, bound: Bound, tensors: list[Any] | None = None, leaves: list[Any] | None = None
) -> list[np.ndarray]:
    """Host gradients of the op's differentiable outputs (fixed random cotangents)."""
    assert case.op is not None
    outs = [
        o
        for o in _outputs(bound.call(case.op.differentiable_fn(), tensors))
        if isinstance(o, tp.Tensor) and o.requires_grad
    ]
    wrt = (
        leaves
        if leaves is not None
        else [t for t, diff in zip(bound.tensors, bound.differentiable) if diff]
    )
    if not outs or not wrt:
        return []
    gs = autograd_grad(outs, wrt, grad_outputs=_cotangents(outs, 7), allow_unused=True)
    result = []
    for x, g in zip(wrt, gs):
        if g is not None:
            assert g.dtype is x.dtype, (
                f"{case.id}: gradient is {g.dtype.name}, input {x.dtype.name}"
            )
            assert g.shape == x.shape, f"{case.id}: gradient shape {g.shape}, input {x.shape}"
        result.append(np.zeros(x.shape) if g is None else to_numpy(g))
    return result


@family("noncontiguous")
def test_noncontiguous(case: Case, tp_backend: Backend, tp_tolerances: Tolerances) -> None:
    """Transposed and strided views give the results (and gradients) of contiguous inputs."""
    info, d, s = case.op, case.dtype, case.sample
    assert info is not None and d is not None and s is not None
    rg = info.supports_autograd and d.is_floating_point
    a = s.bind(tp_backend, d, "contiguous", requires_grad=rg)
    b = s.bind(tp_backend, d, "noncontiguous", requires_grad=rg)
    tol = tp_tolerances.get(info, d)
    for i, (x, y) in enumerate(zip(_outputs(a.call(info.op)), _outputs(b.call(info.op)))):
        assert x.shape == y.shape and x.dtype is y.dtype, f"{case.id} output {i}"
        _check(y, to_numpy(x), tol, f"{case.id} output {i} (non-contiguous vs contiguous)")
    if rg:
        for i, (gx, gy) in enumerate(zip(_grads(case, a), _grads(case, b))):
            _check(gy, gx, tol, f"{case.id} gradient of input {i} (non-contiguous)")


@family("broadcast")
def test_broadcast(case: Case, tp_backend: Backend, tp_tolerances: Tolerances) -> None:
    """Broadcasting inside the op equals explicitly expanded inputs, forward and backward."""
    info, d, s = case.op, case.dtype, case.sample
    assert info is not None and d is not None and s is not None
    rg = info.supports_autograd and d.is_floating_point
    bound = s.bind(tp_backend, d, requires_grad=rg)
    shape = np.broadcast_shapes(*(t.shape for t in bound.tensors))
    expanded = [t if t.shape == shape else t.expand(tuple(shape)) for t in bound.tensors]
    tol = tp_tolerances.get(info, d)
    implicit, explicit = bound.call(info.op), bound.call(info.op, expanded)
    for i, (x, y) in enumerate(zip(_outputs(implicit), _outputs(explicit))):
        _check(x, to_numpy(y), tol, f"{case.id} output {i} (implicit vs explicit broadcast)")
    if rg:
        leaves = [t for t, diff in zip(bound.tensors, bound.differentiable) if diff]
        g_implicit = _grads(case, bound, leaves=leaves)
        g_explicit = _grads(case, bound, expanded, leaves=leaves)
        for i, (gx, gy) in enumerate(zip(g_implicit, g_explicit)):
            _check(gx, gy, tol, f"{case.id} gradient of input {i} (broadcast)")


@family("gradcheck")
def test_gradcheck(case: Case, tp_backend: Backend, tp_slow_gradcheck: bool) -> None:
    """Analytic gradients against central differences, in float64."""
    info, s = case.op, case.sample
    assert info is not None and s is not None
    bound = s.bind(tp_backend, tp.float64, requires_grad=True)
    fn = info.differentiable_fn()
    gradcheck(
        lambda *ts: bound.call(fn, ts), bound.tensors, name=case.id, fast_mode=not tp_slow_gradcheck
    )


@family("gradgradcheck")
def test_gradgradcheck(case: Case, tp_backend: Backend, tp_slow_gradcheck: bool) -> None:
    """Second derivatives (backward of the backward, ``create_graph=True``), in float64."""
    info, s = case.op, case.sample
    assert info is not None and s is not None
    bound = s.bind(tp_backend, tp.float64, requires_grad=True)
    fn = info.differentiable_fn()
    gradgradcheck(
        lambda *ts: bound.call(fn, ts), bound.tensors, name=case.id, fast_mode=not tp_slow_gradcheck
    )


@family("grad_parity")
def test_grad_parity(case: Case, tp_backend: Backend, tp_tolerances: Tolerances) -> None:
    """Gradients computed in float32/float16 match float64 gradients of the same values."""
    info, d, s = case.op, case.dtype, case.sample
    assert info is not None and d is not None and s is not None
    low = s.bind(tp_backend, d, requires_grad=True)
    args, kwargs = s.host_args(d, keep_nograd=True)  # the same values, held in float64
    ref_be = tp_backend if tp.float64 in tp_backend.supported_dtypes else tp.get_backend("numpy")
    high = SampleInput(s.name, args, kwargs).bind(ref_be, tp.float64, requires_grad=True)
    # Cotangents rounded to ``d`` so both sides see the same values.
    outs = [o for o in _outputs(low.call(info.differentiable_fn())) if o.requires_grad]
    tol = tp_tolerances.get(info, d, grad=True)
    g_low = _grads(case, low)
    g_high = _grads(case, high)
    assert outs or not g_low
    for i, (gl, gh) in enumerate(zip(g_low, g_high)):
        _check(
            gl,
            gh.astype(gl.dtype).astype(np.float64),
            tol,
            f"{case.id} gradient of input {i} in {d.name} vs float64",
        )


@family("errors")
def test_errors(case: Case, tp_backend: Backend) -> None:
    """Bad inputs raise the declared exception with a message naming the problem."""
    info, d, e = case.op, case.dtype, case.error
    assert info is not None and d is not None and e is not None
    bound = e.sample.bind(tp_backend, d)
    with pytest.raises(e.exc, match=e.match):
        bound.call(info.op)


@family("unsupported")
def test_unsupported(case: Case, tp_backend: Backend) -> None:
    """What the backend does not claim fails with ``UnsupportedOperation`` naming it."""
    info, d, s = case.op, case.dtype, case.sample
    assert info is not None and d is not None and s is not None
    if case.missing.startswith("dtype_"):
        with pytest.raises(UnsupportedOperation) as err:
            s.bind(tp_backend, d).call(info.op)
        _names(str(err.value), d.name, tp_backend.name)
        other = tp_backend.supported_dtypes[-1]
        with pytest.raises(UnsupportedOperation) as err:
            tp.zeros(2, dtype=other, backend=tp_backend.name).to(d)
        _names(str(err.value), d.name, tp_backend.name, "to")
        return
    if case.missing.startswith("forward_"):  # the op itself needs a kernel the backend lacks
        with pytest.raises(UnsupportedOperation) as err:
            s.bind(tp_backend, d).call(info.op)
        _names_one_of(str(err.value), tp_backend.name, case.missing.removeprefix("forward_"))
        return
    kernels = case.missing.removeprefix("kernel_")
    bound = s.bind(tp_backend, d, requires_grad=True)
    with pytest.raises(UnsupportedOperation) as err:
        _grads(case, bound)
    _names_one_of(str(err.value), tp_backend.name, kernels)


def _names_one_of(message: str, backend: str, kernels: str) -> None:
    """The error names the backend and one of the ``+``-joined kernels it lacks (an op built
    of several optional kernels stops at the first one missing)."""
    _names(message, backend)
    options = kernels.split("+")
    assert any(k in message for k in options), f"the error names none of {options}: {message!r}"


def _names(message: str, *words: str) -> None:
    missing = [w for w in words if w not in message]
    assert not missing, f"the error does not name {missing}: {message!r}"
