"""Numerical gradient checks: analytic (the engine's reverse pass) against central differences.

Both sides run in float64 on the backend under test. The fast mode compares one scalar per
check, ``<v, J u>`` against ``<J^T v, u>`` for random ``u`` and ``v`` (one backward, two
forwards, whatever the size); when it fails, the full Jacobian is built element by element so
the error can name the worst element: which output and input, at which index, with the
analytic and numerical values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _dtype as D
from .._creation import tensor
from .._tensor import Tensor
from ..autograd import grad as autograd_grad
from ._compare import GRADCHECK, GRADCHECK_EPS, to_numpy

Fn = Callable[..., Any]


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree (the message names the worst element)."""


def _float_outputs(out: Any) -> list[Tensor]:
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point]


def _diff_positions(inputs: Sequence[Any]) -> list[int]:
    return [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _like(arr: np.ndarray, ref: Tensor) -> Tensor:
    return tensor(arr, dtype=ref.dtype, backend=ref._backend)


def _evaluate(
    fn: Fn, inputs: Sequence[Any], pos: list[int], arrays: list[np.ndarray]
) -> list[np.ndarray]:
    """``fn`` at the given values of the differentiable inputs, outputs on the host."""
    args = list(inputs)
    for p, a in zip(pos, arrays):
        args[p] = _like(a, inputs[p])
    return [to_numpy(o).astype(np.float64) for o in _float_outputs(fn(*args))]


def _vjp(
    fn: Fn, inputs: Sequence[Any], pos: list[int], cotangents: list[np.ndarray]
) -> list[np.ndarray]:
    """The analytic ``J^T v`` for each differentiable input, checked for dtype and shape."""
    outs = _float_outputs(fn(*inputs))
    pairs = [(o, v) for o, v in zip(outs, cotangents) if o.requires_grad]
    wrt = [inputs[p] for p in pos]
    if not pairs:
        return [np.zeros(x.shape) for x in wrt]
    grads = autograd_grad(
        [o for o, _ in pairs], wrt, grad_outputs=[_like(v, o) for o, v in pairs], allow_unused=True
    )
    result = []
    for i, (x, g) in enumerate(zip(wrt, grads)):
        if g is None:
            result.append(np.zeros(x.shape))
            continue
        if g.dtype is not x.dtype or g.shape != x.shape:
            raise GradcheckError(
                f"gradient of input {pos[i]} has dtype {g.dtype.name} and shape "
                f"{list(g.shape)}, expected the input's {x.dtype.name} and {list(x.shape)}"
            )
        result.append(to_numpy(g).astype(np.float64))
    return result


def _check_inputs(inputs: Sequence[Any], pos: list[int], what: str) -> None:
    if not pos:
        raise GradcheckError(f"{what}: no input requires grad")
    for p in pos:
        if inputs[p].dtype is not D.float64:
            raise GradcheckError(
                f"{what}: input {p} is {inputs[p].dtype.name}; numerical gradients need "
                "float64 inputs"
            )


def gradcheck(
    fn: Fn,
    inputs: Sequence[Any],
    *,
    eps: float = GRADCHECK_EPS,
    atol: float = GRADCHECK.atol,
    rtol: float = GRADCHECK.rtol,
    fast_mode: bool = True,
    seed: int = 0,
    name: str = "",
    raise_exception: bool = True,
) -> bool:
    """Check ``fn``'s gradients with respect to the inputs that require grad.

    Args:
        fn: takes ``*inputs`` and returns a tensor or a sequence of tensors (non-float outputs
            are ignored).
        inputs: tensors (float64, ``requires_grad=True`` for those to check) and other
            arguments passed through unchanged.
        fast_mode: compare random projections (default); ``False`` builds full Jacobians.
        name: a label for error messages (the op and sample).

    Returns:
        ``True``; on a mismatch raises ``GradcheckError`` (or returns ``False`` if
        ``raise_exception`` is off).

    Example:
        >>> import tensorplug as tp
        >>> x = tp.tensor([0.5, 1.5], dtype=tp.float64, requires_grad=True)
        >>> tp.testing.gradcheck(lambda t: (t * t).sin(), [x])
        True
    """
    label = name or getattr(fn, "__name__", "fn")
    pos = _diff_positions(inputs)
    _check_inputs(inputs, pos, f"gradcheck({label})")
    try:
        if fast_mode:
            _fast(fn, inputs, pos, eps, atol, rtol, seed, label)
        else:
            _slow(fn, inputs, pos, eps, atol, rtol, seed, label)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _fast(
    fn: Fn,
    inputs: Sequence[Any],
    pos: list[int],
    eps: float,
    atol: float,
    rtol: float,
    seed: int,
    label: str,
) -> None:
    rng = np.random.default_rng(seed)
    xs = [to_numpy(inputs[p]).astype(np.float64) for p in pos]
    outs = _float_outputs(fn(*inputs))
    vs = [rng.standard_normal(o.shape) for o in outs]
    us = [rng.standard_normal(x.shape) for x in xs]
    plus = _evaluate(fn, inputs, pos, [x + eps * u for x, u in zip(xs, us)])
    minus = _evaluate(fn, inputs, pos, [x - eps * u for x, u in zip(xs, us)])
    numerical = sum(float(np.sum(v * (p - m))) / (2 * eps) for v, p, m in zip(vs, plus, minus))
    analytic = sum(float(np.sum(g * u)) for g, u in zip(_vjp(fn, inputs, pos, vs), us))
    if not abs(analytic - numerical) <= atol + rtol * abs(numerical):
        # Locate the culprit; if the full Jacobians agree, report the projections.
        _slow(fn, inputs, pos, eps, atol, rtol, seed, label)
        raise GradcheckError(
            f"gradcheck({label}) failed in fast mode: <J^T v, u> analytic {analytic:.8g} vs "
            f"numerical {numerical:.8g}, but the full Jacobians agree (a nondeterministic "
            "or non-smooth function?)"
        )


def jacobians(
    fn: Fn, inputs: Sequence[Any], eps: float = GRADCHECK_EPS
) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]]]:
    """Full analytic and numerical Jacobians ``[output][input]`` (each ``out.size x in.size``)."""
    pos = _diff_positions(inputs)
    xs = [to_numpy(inputs[p]).astype(np.float64) for p in pos]
    outs = _float_outputs(fn(*inputs))
    num = [[np.zeros((o.numel(), x.size)) for x in xs] for o in outs]
    for i, x in enumerate(xs):
        for e in range(x.size):
            shifted = []
            for sign in (1.0, -1.0):
                arrays = [a.copy() for a in xs]
                arrays[i].reshape(-1)[e] += sign * eps
                shifted.append(_evaluate(fn, inputs, pos, arrays))
            for j, (p, m) in enumerate(zip(*shifted)):
                num[j][i][:, e] = ((p - m) / (2 * eps)).reshape(-1)
    ana = [[np.zeros((o.numel(), x.size)) for x in xs] for o in outs]
    for j, o in enumerate(outs):
        for r in range(o.numel()):
            vs = [np.zeros(oo.shape) for oo in outs]
            vs[j].reshape(-1)[r] = 1.0
            for i, g in enumerate(_vjp(fn, inputs, pos, vs)):
                ana[j][i][r, :] = g.reshape(-1)
    return ana, num


def _slow(
    fn: Fn,
    inputs: Sequence[Any],
    pos: list[int],
    eps: float,
    atol: float,
    rtol: float,
    seed: int,
    label: str,
) -> None:
    ana, num = jacobians(fn, inputs, eps)
    outs = _float_outputs(fn(*inputs))
    worst: tuple[float, int, int, int, int] | None = None
    for j in range(len(ana)):
        for i in range(len(pos)):
            a, n = ana[j][i], num[j][i]
            if not a.size:
                continue
            excess = np.abs(a - n) - (atol + rtol * np.abs(n))
            excess = np.where(np.isnan(excess), np.inf, excess)
            row, col = (int(v) for v in np.unravel_index(int(np.argmax(excess)), a.shape))
            if excess[row, col] > 0 and (worst is None or excess[row, col] > worst[0]):
                worst = (float(excess[row, col]), j, i, row, col)
    if worst is None:
        return
    _, j, i, r, c = worst
    a, n = ana[j][i], num[j][i]
    oidx = tuple(int(v) for v in np.unravel_index(r, outs[j].shape)) if outs[j].ndim else ()
    xshape = inputs[pos[i]].shape
    iidx = tuple(int(v) for v in np.unravel_index(c, xshape)) if xshape else ()
    count = int(np.sum(np.abs(a - n) > atol + rtol * np.abs(n)))
    msg = (
        f"gradcheck({label}): Jacobian mismatch for output {j} with respect to input {pos[i]}; "
        f"worst element: d output{list(oidx)} / d input{list(iidx)} analytic {a[r, c]:.8g} vs "
        f"numerical {n[r, c]:.8g} ({count} of {a.size} Jacobian elements differ; "
        f"atol={atol:g}, rtol={rtol:g}, eps={eps:g})"
    )
    if a.size <= 64:
        with np.printoptions(precision=5, suppress=True, linewidth=100):
            msg += f"\nanalytic Jacobian:\n{a}\nnumerical Jacobian:\n{n}"
    raise GradcheckError(msg)


def gradgradcheck(
    fn: Fn,
    inputs: Sequence[Any],
    *,
    eps: float = GRADCHECK_EPS,
    atol: float = GRADCHECK.atol,
    rtol: float = GRADCHECK.rtol,
    fast_mode: bool = True,
    seed: int = 0,
    name: str = "",
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives: ``gradcheck`` of ``(x, v) -> J(x)^T v`` (``create_graph``).

    Example:
        >>> import tensorplug as tp
        >>> x = tp.tensor([0.5, 1.5], dtype=tp.float64, requires_grad=True)
        >>> tp.testing.gradgradcheck(lambda t: t.exp() * t, [x])
        True
    """
    label = name or getattr(fn, "__name__", "fn")
    pos = _diff_positions(inputs)
    _check_inputs(inputs, pos, f"gradgradcheck({label})")
    rng = np.random.default_rng(seed + 1)
    outs = [o for o in _float_outputs(fn(*inputs)) if o.requires_grad]
    vs = [
        tensor(rng.standard_normal(o.shape), dtype=o.dtype, backend=o._backend, requires_grad=True)
        for o in outs
    ]
    n = len(inputs)

    def vjp(*args: Any) -> tuple[Tensor, ...]:
        xs = list(args[:n])
        for p in pos:
            if not xs[p].requires_grad:  # a perturbed copy from the numerical side
                xs[p] = xs[p].detach().requires_grad_()
        out = [o for o in _float_outputs(fn(*xs)) if o.requires_grad]
        gs = autograd_grad(
            out,
            [xs[p] for p in pos],
            grad_outputs=list(args[n:]),
            create_graph=True,
            allow_unused=True,
        )
        return tuple(g for g in gs if g is not None)

    return gradcheck(
        vjp,
        (*inputs, *vs),
        eps=eps,
        atol=atol,
        rtol=rtol,
        fast_mode=fast_mode,
        seed=seed,
        name=f"{label}, double backward",
        raise_exception=raise_exception,
    )
