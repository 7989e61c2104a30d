"""The in-place random fills: ``Tensor.uniform_``, ``normal_``, ``random_``, ``exponential_``,
``geometric_``, ``cauchy_``, ``log_normal_`` and ``bernoulli_``, each with ``generator=``.

Each draws its values with ``_generator`` and writes them as ``fill_`` does: refused on a
leaf that requires grad, recorded (grad 0 for the old values, PyTorch's node names) on a
tensor in the graph, through a view onto its base.
"""

from __future__ import annotations

import math
from typing import Any

from . import _dtype as D
from . import _functional_write as fw
from . import _generator as G
from ._grad_mode import no_grad, state
from ._graph import Node, record
from ._inplace import (
    check_inplace,
    check_writable,
    live_views,
    rebase_view,
    refresh_views,
    view_write_needs_graph,
)
from ._sampling import (
    BernoulliBackward1,
    BernoulliBackward2,
    CauchyBackward0,
    ExponentialBackward0,
    GeometricBackward0,
    LogNormalBackward0,
    NormalBackward0,
    RandomBackward2,
    UniformBackward0,
    _check_p,
    _float_input,
)
from ._tensor import Tensor

_MANTISSA = {D.float16: 11, D.float32: 24, D.float64: 53}


def _write(self: Tensor, values: Tensor, node: type[Node]) -> Tensor:
    """Write ``values`` into ``self`` in place, as ``fill_`` writes its value."""
    op = node.op
    if self._view_ops is not None:
        check_writable(self, op)
    if view_write_needs_graph(self, values):
        rebase_view(self, values, op)
        return self
    check_inplace(self, op)
    fw.assign(self, values.to(self.dtype)._data)
    self._vc.version += 1
    if self._grad_fn is not None and state.grad_enabled:
        views = live_views(self) if self._views else None
        record(node, (self,), self, ())
        if views:
            refresh_views(self, views)
    return self


def _u(self: Tensor, generator: Any, op: str) -> Tensor:
    d = self.dtype if self.dtype.is_floating_point else D.get_default_dtype()
    be = self._backend
    return Tensor._make(G.uniform(be, self.shape, d, generator, op), be)


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples of ``U[from, to)``."""
    _float_input(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}"
        )
    with no_grad():
        values = _u(self, generator, "uniform_") * (to - from_) + from_
    return _write(self, values, UniformBackward0)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples of ``N(mean, std**2)``."""
    _float_input(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    be = self._backend
    with no_grad():
        z = Tensor._make(G.normal(be, self.shape, self.dtype, generator, "normal_"), be)
        values = z * std + mean
    return _write(self, values, NormalBackward0)


def _random_range(self: Tensor, from_: int, to: int | None) -> tuple[int, int]:
    d = self.dtype
    if to is None:
        if d.is_floating_point:
            return from_, 2 ** _MANTISSA[d] + 1
        return from_, 2 if d is D.bool_ else 2 ** (63 if d is D.int64 else 31)
    if from_ >= to:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}"
        )
    return from_, to


def random_(
    self: Tensor, from_: int = 0, to: int | None = None, *, generator: Any = None
) -> Tensor:
    """Fill with integers uniform in ``[from, to)``; ``random_(to)`` is ``[0, to)``; by
    default ``[0, 2**mantissa]`` for a float dtype, every non-negative value for an int."""
    if to is None and from_ != 0:
        from_, to = 0, from_
    low, high = _random_range(self, from_, to)
    be = self._backend
    with no_grad():
        r = G.integers(be, low, high, self.shape, D.int64, generator, "random_")
        values = Tensor._make(r, be)
    return _write(self, values, RandomBackward2)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples of ``Exp(lambd)``: ``-log(1 - U) / lambd``."""
    _float_input(self, "exponential_")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    with no_grad():
        values = -(1 - _u(self, generator, "exponential_")).log() / lambd
    return _write(self, values, ExponentialBackward0)


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Fill with the number of Bernoulli(``p``) trials to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    with no_grad():
        u = _u(self, generator, "geometric_")
        failures = ((1 - u).log() / math.log1p(-p)).clamp(min=0)
        values = failures.to(D.int64) + 1  # floor of a non-negative value, plus the success
    return _write(self, values, GeometricBackward0)


def cauchy_(
    self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Any = None
) -> Tensor:
    """Fill with Cauchy samples: ``median + sigma * tan(pi * (U - 1/2))``."""
    _float_input(self, "cauchy_")
    with no_grad():
        a = (_u(self, generator, "cauchy_") - 0.5) * math.pi
        values = a.sin() / a.cos() * sigma + median
    return _write(self, values, CauchyBackward0)


def log_normal_(
    self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Any = None
) -> Tensor:
    """Fill with ``exp(N(mean, std**2))`` samples."""
    _float_input(self, "log_normal_")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    be = self._backend
    with no_grad():
        z = Tensor._make(G.normal(be, self.shape, self.dtype, generator, "log_normal_"), be)
        values = (z * std + mean).exp()
    return _write(self, values, LogNormalBackward0)


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fill with 0/1, 1 with probability ``p`` (a number or a tensor broadcast to ``self``)."""
    if isinstance(p, Tensor):
        p = p.detach()
        if p.numel() and bool(((p < 0) | (p > 1)).any()):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        node = BernoulliBackward2
    else:
        _check_p(p, "bernoulli_")
        node = BernoulliBackward1
    with no_grad():
        values = _u(self, generator, "bernoulli_") < p
    return _write(self, values, node)


METHODS = {
    "uniform_": uniform_, "normal_": normal_, "random_": random_,
    "exponential_": exponential_, "geometric_": geometric_, "cauchy_": cauchy_,
    "log_normal_": log_normal_, "bernoulli_": bernoulli_,
}  # fmt: skip
"""The fills as ``Tensor`` methods (bound in ``_methods``)."""
