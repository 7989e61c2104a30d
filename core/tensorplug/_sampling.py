"""Sampling from distributions: ``multinomial``, ``bernoulli``, ``normal``, ``randperm`` and
the in-place fills ``Tensor.uniform_``, ``normal_``, ``random_``, ``exponential_``, ...

All are composed in the core from the three sampling kernels (through ``_generator``, so
each takes ``generator=``); no new kernel. As in PyTorch, a sample's gradient with respect
to the distribution's parameters is zero (no reparameterisation): the nodes recorded when an
input requires grad pass zeros back.
"""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D
from . import _generator as G
from ._contract import Array, KernelOps
from ._creation import _dt, _finish, _size, tensor
from ._grad_mode import no_grad, state
from ._graph import Node, record
from ._plugins import resolve
from ._tensor import Tensor

__all__ = ["multinomial", "bernoulli", "normal", "randperm", "poisson"]

_TORCH_NAMES = {D.int64: "Long", D.int32: "Int", D.bool_: "Bool"}
_FLOAT_MAX = {
    D.float16: 65504.0,
    D.float32: 3.4028234663852886e38,
    D.float64: 1.7976931348623157e308,
}


class _SampleBackward(Node):
    """A sample of a distribution whose parameters are the inputs: grad = 0 for each."""

    op = "sample"

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array) -> tuple[Array, ...]:
        return tuple(ops.mul(ops.sum_to(g, s), 0) for s in ctx.shapes if s is not None)


def _node(name: str, op: str) -> type[Node]:
    cls = type(name, (_SampleBackward,), {"op": op, "__doc__": _SampleBackward.__doc__})
    cls.__module__ = __name__
    return cls


UniformBackward0 = _node("UniformBackward0", "uniform_")
NormalBackward0 = _node("NormalBackward0", "normal_")
NormalBackward1 = _node("NormalBackward1", "normal")
NormalBackward2 = _node("NormalBackward2", "normal")
NormalBackward3 = _node("NormalBackward3", "normal")
RandomBackward2 = _node("RandomBackward2", "random_")
ExponentialBackward0 = _node("ExponentialBackward0", "exponential_")
GeometricBackward0 = _node("GeometricBackward0", "geometric_")
CauchyBackward0 = _node("CauchyBackward0", "cauchy_")
LogNormalBackward0 = _node("LogNormalBackward0", "log_normal_")
BernoulliBackward0 = _node("BernoulliBackward0", "bernoulli")
BernoulliBackward1 = _node("BernoulliBackward1", "bernoulli_")
BernoulliBackward2 = _node("BernoulliBackward2", "bernoulli_")


def _record(node: type[Node], inputs: tuple[Tensor, ...], out: Tensor) -> Tensor:
    if state.grad_enabled and any(t._requires_grad for t in inputs):
        record(node, inputs, out, ())
    return out


def _u(like: Tensor, generator: Any, op: str) -> Tensor:
    """``U[0, 1)`` samples of ``like``'s shape, dtype and backend."""
    be = like._backend
    return Tensor._make(G.uniform(be, like.shape, like.dtype, generator, op), be)


def _z(like: Tensor, generator: Any, op: str) -> Tensor:
    be = like._backend
    return Tensor._make(G.normal(be, like.shape, like.dtype, generator, op), be)


def _float_input(input: Any, op: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{op}" not implemented for {_TORCH_NAMES[input.dtype]!r}')


# -- multinomial -------------------------------------------------------------------------------


def _check_probs(p: Tensor, num_samples: int, replacement: bool) -> None:
    if not p.dtype.is_floating_point:
        raise RuntimeError(
            "multinomial only supports floating-point dtypes for input, got: "
            f"{_TORCH_NAMES[p.dtype]}"
        )
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > p.shape[-1]:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement"
        )
    if p.numel() and bool(((p < 0) | (p != p) | (p.abs() == math.inf)).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if p.shape[-1] == 0 or bool((p.sum(-1) <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator: Any = None
) -> Tensor:
    """``num_samples`` category indices per row of the (unnormalised) weights ``input``.

    With replacement by inverse CDF (cumulative weights against ``u * total``); without, by
    Gumbel-max: ``argmax(log p + G)`` with ``G`` Gumbel noise is a draw from ``p``, and the
    best ``num_samples`` keys of one noise draw, taken one after the other, are a draw without
    replacement (categories of weight 0 come last).

    Example:
        >>> import tensorplug as tp
        >>> g = tp.Generator().manual_seed(0)
        >>> tp.multinomial(tp.tensor([0., 1., 0.]), 2, generator=g)[0].item()
        1
    """
    _check_probs(input, num_samples, replacement)
    with no_grad():
        p = input.detach()
        rows = p if p.ndim == 2 else p.unsqueeze(0)
        if replacement:
            idx = _with_replacement(rows, num_samples, generator)
        else:
            idx = _without_replacement(rows.log(), num_samples, generator)
    return idx if p.ndim == 2 else idx.squeeze(0)


def _gumbel(logp: Tensor, generator: Any) -> Tensor:
    """``logp + G``, with finite keys (``-max``) for the categories of weight 0."""
    fmax = _FLOAT_MAX[logp.dtype]
    e = (-_u(logp, generator, "multinomial").log()).clamp(max=fmax)  # Exp(1); U = 0 gives inf
    keys = logp - e.log()
    return keys.clamp(min=-fmax)


def _with_replacement(p: Tensor, k: int, generator: Any) -> Tensor:
    """Inverse CDF: sample ``i`` is the number of cumulative weights ``<= u * total``: one
    ``searchsorted`` (``right``) per row where the backend has the kernel, else comparisons
    of a chunk of samples at a time; the same draws give the same samples either way."""
    from ._ops_pointwise import minimum
    from ._ops_shape import cat

    rows, n = p.shape
    be = p._backend
    cdf = _cumsum(p)
    total = cdf[:, n - 1 :]
    # The first category whose cumulative weight is the total: the last of positive weight,
    # where a u * total rounded up to the total must stop (not on a weight-0 one after it).
    last = (cdf < total).sum(-1, keepdim=True)
    target = Tensor._make(G.uniform(be, (rows, k), p.dtype, generator, "multinomial"), be) * total
    if be.has_kernel("searchsorted"):
        from ._ops_sort import searchsorted

        return minimum(searchsorted(cdf, target, right=True), last)
    # The comparisons for a chunk of samples at a time: (rows, chunk, n), bounded in memory.
    chunk = max(1, min(k, (1 << 22) // max(1, rows * n)))
    parts = []
    for start in range(0, k, chunk):
        below = cdf.unsqueeze(1) <= target[:, start : start + chunk].unsqueeze(2)
        parts.append(minimum(below.sum(-1), last))
    return parts[0] if len(parts) == 1 else cat(parts, 1)


def _cumsum(p: Tensor) -> Tensor:
    """Cumulative sums along the last dim of a 2-d ``p`` by doubling: log2(n) shifted adds."""
    from ._ops_shape import cat

    rows, n = p.shape
    c, shift = p, 1
    while shift < n:
        c = c + cat([c.new_zeros(rows, shift), c[:, : n - shift]], 1)
        shift *= 2
    return c


def _without_replacement(logp: Tensor, k: int, generator: Any) -> Tensor:
    from ._ops_shape import stack

    keys = _gumbel(logp, generator)
    taken = []
    rows = tensor(list(range(keys.shape[0])), backend=keys._backend)
    for _ in range(k):
        best = keys.argmax(-1)
        taken.append(best)
        keys[rows, best] = -math.inf  # below every key left, the -max of weight 0 included
    return stack(taken, 1)


# -- bernoulli, normal, poisson ----------------------------------------------------------------


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:
    """0/1 samples, 1 with probability ``input`` (or ``p``), in ``input``'s dtype."""
    _float_input(input, "bernoulli")
    with no_grad():
        if p is None:
            prob = input.detach()
            if prob.numel() and bool(((prob < 0) | (prob > 1) | (prob != prob)).any()):
                raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        else:
            _check_p(p, "bernoulli_")
            prob = p  # type: ignore[assignment]
        out = (_u(input, generator, "bernoulli") < prob).to(input.dtype)
    return _record(BernoulliBackward0, (input,), out) if p is None else out


def _check_p(p: Any, op: str) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"{op} expects p to be in [0, 1], but got p={p}")


def _check_std(std: Any) -> None:
    if isinstance(std, Tensor):
        if std.numel() and bool((std < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")


def normal(
    mean: Any,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """Samples of ``N(mean, std**2)``: tensor/tensor (broadcast), tensor/float, float/tensor,
    or float/float with ``size``. Gradients with respect to ``mean`` and ``std`` are zero, as
    in PyTorch."""
    _check_std(std)
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal(): with a float mean and std, size is required")
        d = _dt(dtype)
        be = resolve(backend, device)
        be.native_dtype(d, "normal")
        z = Tensor._make(G.normal(be, _size((size,)), d, generator, "normal"), be)
        return _finish((z * std + mean)._data, be, requires_grad)
    with no_grad():
        m = mean.detach() if tm else mean
        s = std.detach() if ts else std
        like = (m if tm else s) if not (tm and ts) else (m + s * 0)
        out = _z(like, generator, "normal") * s + m
    if tm and ts:
        return _record(NormalBackward3, (mean, std), out)
    return _record(NormalBackward1 if tm else NormalBackward2, (mean if tm else std,), out)


def poisson(input: Tensor, generator: Any = None) -> Tensor:
    """Poisson samples with rates ``input``, by counting unit-rate exponential arrivals up to
    the rate (as many draws as the largest sample)."""
    _float_input(input, "poisson")
    with no_grad():
        rate = input.detach()
        if rate.numel() and bool(((rate < 0) | (rate != rate)).any()):
            raise RuntimeError("poisson expects all rates >= 0")
        count = rate * 0
        clock = rate * 0
        live = clock <= rate
        while bool(live.any()):
            clock = clock - _u(rate, generator, "poisson").log()
            live = clock <= rate
            count = count + live.to(rate.dtype)
    return count


# -- randperm ----------------------------------------------------------------------------------


def randperm(
    n: int,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """A random permutation of ``0 .. n-1``: the order of ``n`` random 62-bit keys (the
    backend's optional ``argsort`` kernel, stable, or a sort on the host where it has none;
    ties, at odds of about ``n**2 / 2**63``, keep index order).

    Example:
        >>> import tensorplug as tp
        >>> sorted(tp.randperm(4).tolist())
        [0, 1, 2, 3]
    """
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = _dt(dtype, D.int64)
    be = resolve(backend, device)
    be.native_dtype(d, "randperm")
    keys = G.integers(be, 0, 2**62, (n,), D.int64, generator, "randperm")
    if be.has_kernel("argsort"):
        order = getattr(be.k, "argsort")(keys, 0, False, True)  # noqa: B009 - optional kernel
        return _finish(order if d is D.int64 else be.k.astype(order, d), be, requires_grad)
    host = Tensor._make(keys, be).tolist()
    order_list = sorted(range(n), key=host.__getitem__)
    return _finish(be.k.from_host(order_list, d), be, requires_grad)  # a flat list: no checks
