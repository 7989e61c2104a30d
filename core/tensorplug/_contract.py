"""The kernel contract: every kernel the core may call, its signature, its tier and its effect.

This module is the one place the contract is written. The signatures are the methods of three
``Protocol`` classes:

* ``KernelOps``: what a backward formula calls (``backward(ctx, ops, g, ...)``). Both
  namespaces the engine passes as ``ops`` provide it: a backend's raw kernels and the
  differentiable tensor functions of ``create_graph=True``;
* ``BackendOps``: every kernel a built ``Backend`` has (``backend.k``): ``KernelOps`` plus
  creation, host transfer, random numbers and the rest of the primitive, derived and
  host-boundary kernels (the last two have defaults);
* ``OptionalOps``: the optional kernels and accelerators, which a backend may leave out,
  declared here for their signatures. A formula that uses one where the backend has it
  checks first, and the check narrows ``ops`` for the type checker
  (``has_where_zero_owned``: a ``WhereZeroOwnedOps``).

The tiers are named sets over those names, checked when a ``Backend`` is built (``check``),
and ``KERNELS`` is the table derived from both, which ``docs/backend-guide.md`` lists. Every
parameter is positional: the core never calls a kernel with keywords, so a backend may name
its parameters as it likes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, TypeGuard

from ._contract_pointwise import POINTWISE, PointwiseOps
from ._dtype import dtype

if TYPE_CHECKING:
    from ._backend import Backend, Device

Array: TypeAlias = Any
"""A backend's native array (``numpy.ndarray``, ``cupy.ndarray``, ...): opaque to the core."""

Kernel: TypeAlias = Callable[..., Any]

Scalar: TypeAlias = "bool | int | float"
"""A Python number, passed to a kernel beside an array (``mul(x, 2.0)``)."""

Operand: TypeAlias = "Array | Scalar"
"""An array or a Python number: elementwise kernels take either in any position."""

Shape: TypeAlias = "tuple[int, ...]"

Index: TypeAlias = Any
"""An index as Python spells it: ints, slices, ``None``, ``...``, integer or bool arrays and
tuples of them. The core has checked every integer against the sizes before a kernel sees it."""

Effect: TypeAlias = Literal["returns", "in_place", "reuses"]
"""What a kernel does with its arguments (``KernelSpec.effect``)."""

Tier: TypeAlias = Literal["primitive", "derived", "optional", "accelerator", "host_boundary"]


class KernelOps(Protocol):
    """The ops namespace a backward formula is written against (``Node.backward``).

    The engine passes a backend's kernels (``backend.k``: raw arrays in, raw arrays out) for
    a plain backward and ``_tensor_ops.TENSOR_OPS`` (the same signatures on tensors, recorded)
    when ``create_graph=True``, so one formula serves both: in a formula, ``Array`` is
    whichever of the two the namespace takes. A formula calls nothing else on ``ops``; an
    accelerator it may use where the backend has one is checked for first
    (``has_where_zero_owned``).
    """

    def add(self, a: Operand, b: Operand, /) -> Array:
        """``a + b``, broadcasting."""

    def sub(self, a: Operand, b: Operand, /) -> Array:
        """``a - b``, broadcasting."""

    def mul(self, a: Operand, b: Operand, /) -> Array:
        """``a * b``, broadcasting."""

    def div(self, a: Operand, b: Operand, /) -> Array:
        """``a / b`` (true division), broadcasting."""

    def pow(self, a: Operand, b: Operand, /) -> Array:
        """``a ** b``, broadcasting."""

    def maximum(self, a: Operand, b: Operand, /) -> Array:
        """Elementwise maximum, NaN-propagating."""

    def minimum(self, a: Operand, b: Operand, /) -> Array:
        """Elementwise minimum, NaN-propagating."""

    def neg(self, x: Array, /) -> Array:
        """``-x``."""

    def exp(self, x: Array, /) -> Array:
        """``e ** x``."""

    def log(self, x: Array, /) -> Array:
        """Natural logarithm (``-inf`` at 0, NaN below, without warnings)."""

    def sqrt(self, x: Array, /) -> Array:
        """Square root."""

    def abs(self, x: Array, /) -> Array:
        """Absolute value."""

    def sin(self, x: Array, /) -> Array:
        """Sine."""

    def cos(self, x: Array, /) -> Array:
        """Cosine."""

    def tanh(self, x: Array, /) -> Array:
        """Hyperbolic tangent."""

    def sign(self, x: Array, /) -> Array:
        """-1, 0 or 1 (NaN for NaN)."""

    def sigmoid(self, x: Array, /) -> Array:
        """``1 / (1 + exp(-x))``."""

    def where(self, cond: Array, x: Operand, y: Operand, /) -> Array:
        """``x`` where the bool array ``cond`` holds, else ``y``, broadcasting."""

    def eq(self, a: Operand, b: Operand, /) -> Array:
        """``a == b`` as a bool array."""

    def ne(self, a: Operand, b: Operand, /) -> Array:
        """``a != b`` as a bool array."""

    def lt(self, a: Operand, b: Operand, /) -> Array:
        """``a < b`` as a bool array."""

    def le(self, a: Operand, b: Operand, /) -> Array:
        """``a <= b`` as a bool array."""

    def gt(self, a: Operand, b: Operand, /) -> Array:
        """``a > b`` as a bool array."""

    def ge(self, a: Operand, b: Operand, /) -> Array:
        """``a >= b`` as a bool array."""

    def digamma(self, x: Array, /) -> Array:
        """``d/dx lgamma(x)`` (optional: ``lgamma``'s gradient; -inf at 0, NaN at the other
        poles)."""

    def trigamma(self, x: Array, /) -> Array:
        """``d/dx digamma(x)`` (optional: ``digamma``'s gradient; inf at the poles)."""

    def polygamma(self, n: int, x: Array, /) -> Array:
        """The ``n``-th derivative of digamma (``n >= 0``; optional: ``polygamma``'s
        kernel and its own gradient, ``polygamma(n + 1, x)``)."""

    def tanh_backward(self, g: Array, out: Array, /) -> Array:
        """``g * (1 - out * out)``: tanh's gradient from its output."""

    def sigmoid_backward(self, g: Array, out: Array, /) -> Array:
        """``g * out * (1 - out)``: sigmoid's gradient from its output."""

    # -- fused backward formulas (issue 21): derived (``FUSED``), each one kernel on CuPy;
    # the defaults and ``TENSOR_OPS``'s versions are the formulas of ``_fused_formulas``.

    def relu_backward(self, g: Array, out: Array, /) -> Array:
        """``g`` where ``out > 0``, else 0: ReLU's gradient from its output."""

    def gelu_backward(self, g: Array, x: Array, approximate: str, /) -> Array:
        """``g * gelu'(x)`` (``approximate``: ``"none"`` or ``"tanh"``; the formulas of
        ``tensorplug._gelu``, to their accuracy: 1.2e-7 relative for the exact form)."""

    def silu_backward(self, g: Array, x: Array, /) -> Array:
        """``g * s * (1 + x * (1 - s))``, ``s = sigmoid(x)``: SiLU's gradient."""

    def softmax_backward(self, g: Array, out: Array, axes: Shape, /) -> Array:
        """``out * (g - sum(g * out, axes, keepdims))``: softmax's gradient from its output."""

    def log_softmax_backward(self, g: Array, out: Array, axes: Shape, /) -> Array:
        """``g - exp(out) * sum(g, axes, keepdims)``: log-softmax's gradient from its output."""

    def mse_loss_backward(self, g: Array, a: Array, b: Array, scale: float, /) -> Array:
        """``(a - b) * scale * g``: the squared error's gradient for ``a``."""

    def clamp_backward(self, g: Array, x: Array, lo: Scalar | None, hi: Scalar | None, /) -> Array:
        """``g`` where ``lo <= x <= hi`` (``None``: no bound there), else 0: clamp's gradient
        for number bounds."""

    def pow_backward(self, g: Array, x: Array, e: Scalar, /) -> Array:
        """``g * e * x**(e - 1)`` (``g * (x + x)`` for ``e == 2``; ``e`` a number, not 0)."""

    def nll_loss_backward(
        self, g: Array, shape: Shape, rows: Array, cols: Array, w: Array, mean: bool, /
    ) -> Array:
        """Zeros of ``shape`` (N, C) with ``-(w[i] / den) * g`` at each ``(i, cols[i])``
        (``rows`` is ``arange(N)``, as ``nll_loss`` makes it; ``den`` ``sum(w)`` when
        ``mean``, else no division; ``g`` 0-d, or per row for ``reduction="none"``): the NLL
        loss's gradient."""

    def dropout_backward(self, g: Array, u: Array, p: Scalar, scale: Scalar, /) -> Array:
        """``g * scale`` where ``u >= p``, else 0: dropout's gradient from its uniform
        samples ``u``."""

    def sum(self, x: Array, axes: Shape | None, keepdims: bool, /) -> Array:
        """Sum over ``axes`` (``None``: all of them)."""

    def prod(self, x: Array, axes: Shape | None, keepdims: bool, /) -> Array:
        """Product over ``axes`` (``None``: all of them)."""

    def amax(self, x: Array, axes: Shape | None, keepdims: bool, /) -> Array:
        """Maximum over ``axes``, NaN-propagating."""

    def cumsum(self, x: Array, axis: int, /) -> Array:
        """Running sum along ``axis`` (in range, of an array with a dimension), in ``x``'s
        dtype."""

    def cumprod(self, x: Array, axis: int, /) -> Array:
        """Running product along ``axis``, as ``cumsum``."""

    def sum_to(self, x: Array, shape: Shape, /) -> Array:
        """``x`` summed down to the shape it was broadcast from: broadcasting undone."""

    def matmul(self, a: Array, b: Array, /) -> Array:
        """Matrix product with NumPy's rules for 1-d and batched operands."""

    def reshape(self, x: Array, shape: Shape, /) -> Array:
        """``x`` in a new shape of the same size (a view where the layout allows)."""

    def permute(self, x: Array, axes: Shape, /) -> Array:
        """``x`` with its axes reordered (a view where the library has them)."""

    def broadcast_to(self, x: Array, shape: Shape, /) -> Array:
        """``x`` broadcast to ``shape``; may be a read-only view."""

    def concat(self, arrays: Sequence[Array], axis: int, /) -> Array:
        """The arrays joined along an existing ``axis``."""

    def getitem(self, x: Array, idx: Index, /) -> Array:
        """``x[idx]``; a view for basic indices where the library has views."""

    def index_grad(self, g: Array, shape: Shape, idx: Index, advanced: bool, /) -> Array:
        """Zeros of ``shape`` with ``g`` added at ``idx`` (repeated indices accumulate when
        ``advanced``): the gradient of ``getitem``."""

    def astype(self, x: Array, d: dtype, /) -> Array:
        """``x`` converted to tensorplug dtype ``d``."""

    def dtype_of(self, x: Array, /) -> dtype:
        """The tensorplug dtype of a native array."""

    def iota(self, n: int, shape: Shape, like: Array, /) -> Array:
        """``arange(n)`` as int64 in ``shape``, on ``like``'s device."""

    def const(self, x: Array, like: Array, /) -> Array:
        """A raw array as a constant beside ``like`` (itself, for raw kernels)."""

    def linalg_inv(self, a: Array, /) -> Array:
        """The inverse of each square matrix of ``a`` (its last two dims); any exception for a
        singular one (the core raises ``tp.linalg.LinAlgError``). Optional: a backward may
        call it, but only that of an op that needed it forward."""

    def linalg_solve(self, a: Array, b: Array, /) -> Array:
        """``x`` with ``a @ x = b``: ``a`` square matrices, ``b`` matrices (never vectors),
        their batch dims broadcast; any exception for a singular ``a``. Optional."""

    def linalg_eigh(self, a: Array, /) -> tuple[Array, Array]:
        """``(w, v)``: the eigenvalues (ascending) and orthonormal eigenvectors (columns) of
        each symmetric matrix of ``a`` (the core passes symmetric ones). Optional; a backward
        may call it, as ``linalg_svd``."""

    def linalg_svd(self, a: Array, full_matrices: bool, /) -> tuple[Array, Array, Array]:
        """``(u, s, vh)`` with ``a = u diag(s) vh`` for each matrix of ``a``, ``s``
        descending; ``full_matrices``: ``u`` and ``vh`` square, else reduced."""

    def linalg_qr(self, a: Array, mode: str, /) -> tuple[Array, Array]:
        """``(q, r)`` with ``a = q @ r`` for each matrix of ``a``, ``q``'s columns
        orthonormal, ``r`` upper triangular; ``mode`` ``"reduced"`` (``k = min(m, n)``
        columns of ``q``) or ``"complete"`` (``q`` square). Optional."""


class BackendOps(KernelOps, Protocol):
    """Every kernel a built ``Backend`` has as ``backend.k``: the primitives, and the derived
    and host-boundary kernels (a default fills in where the backend has none)."""

    def log1p(self, x: Array, /) -> Array:
        """``log(1 + x)``, accurate near 0."""

    def expm1(self, x: Array, /) -> Array:
        """``exp(x) - 1``, accurate near 0."""

    def rsqrt(self, x: Array, /) -> Array:
        """``1 / sqrt(x)``."""

    def reciprocal(self, x: Array, /) -> Array:
        """``1 / x``."""

    def square(self, x: Array, /) -> Array:
        """``x * x``."""

    def relu(self, x: Array, /) -> Array:
        """``maximum(x, 0)``."""

    def gelu(self, x: Array, approximate: str, /) -> Array:
        """``x * Phi(x)``, Phi the standard normal CDF (``approximate="tanh"``: its tanh form),
        as ``tensorplug._gelu.gelu``."""

    def clamp(self, x: Array, lo: Operand | None, hi: Operand | None, /) -> Array:
        """``x`` limited to ``[lo, hi]`` (``None``: no bound on that side)."""

    def isfinite(self, x: Array, /) -> Array:
        """Bool array: neither infinite nor NaN."""

    def any_nonfinite(self, x: Array, /) -> bool:
        """Whether any element is infinite or NaN (anomaly mode), as a Python bool."""

    def amin(self, x: Array, axes: Shape | None, keepdims: bool, /) -> Array:
        """Minimum over ``axes``, NaN-propagating."""

    def argmax(self, x: Array, axis: int | None, keepdims: bool, /) -> Array:
        """Index of the first maximum along ``axis`` (``None``: of the flattened array),
        int64."""

    def argmin(self, x: Array, axis: int | None, keepdims: bool, /) -> Array:
        """Index of the first minimum along ``axis``, int64."""

    def stack(self, arrays: Sequence[Array], axis: int, /) -> Array:
        """The arrays joined along a new ``axis``."""

    def reshape_view(self, x: Array, shape: Shape, /) -> Array | None:
        """``x`` in a new shape of the same size as a view sharing ``x``'s memory, or
        ``None`` where it cannot be one (``x``'s layout needs a copy). ``reshape`` is a view
        exactly when this gives one; on ``None`` the core reshapes a copy, which is no view.
        The default always declines: a library without views, or one that cannot tell."""

    def strides(self, x: Array, /) -> tuple[int, ...] | None:
        """``x``'s strides in elements (``Tensor.stride()``, ``is_contiguous()``), or
        ``None`` where the library does not expose them (the default): such arrays count as
        row-major where ``reshape_view`` flattens them."""

    def copy(self, x: Array, /) -> Array:
        """A new array with ``x``'s values, owning its memory."""

    def setitem(self, x: Array, idx: Index, value: Operand, /) -> None:
        """``x[idx] = value``."""

    def assign(self, dst: Array, src: Operand, /) -> None:
        """``dst[...] = src``, casting to ``dst``'s dtype."""

    def iadd(self, dst: Array, src: Operand, /) -> None:
        """``dst += src``; ``src`` broadcasts to ``dst``'s shape."""

    def index_put(self, x: Array, idx: Index, value: Operand, /) -> Array:
        """A new array equal to ``x`` with ``x[idx] = value`` (``value`` broadcast and cast
        to ``x``'s dtype); ``x`` is left alone. The functional ``setitem``: what the core
        writes with on a backend whose arrays are immutable (``Backend.mutable`` false,
        JAX's ``x.at[idx].set(value)``), where it is required; the default copies ``x``
        and calls ``setitem``."""

    def full(self, shape: Shape, value: Scalar, d: dtype, /) -> Array:
        """A new array of ``shape`` filled with ``value``."""

    def arange(self, start: Scalar, stop: Scalar, step: Scalar, d: dtype, /) -> Array:
        """``start, start + step, ...`` up to ``stop`` (excluded)."""

    def linspace(self, start: float, stop: float, num: int, d: dtype, /) -> Array:
        """``num`` evenly spaced values from ``start`` to ``stop`` (both included)."""

    def eye(self, n: int, m: int, d: dtype, /) -> Array:
        """An ``n`` by ``m`` identity matrix."""

    def from_host(self, obj: Any, d: dtype | None, /) -> Array:
        """A new array from host data (nested lists, numbers, a NumPy array, another
        library's array); ``None``: the dtype the data has."""

    def to_host(self, x: Array, /) -> Any:
        """``x``'s values in host memory as an array NumPy reads (``np.asarray`` of it)."""

    def random_uniform(self, shape: Shape, d: dtype, /) -> Array:
        """Samples of ``U[0, 1)`` from the backend's generator (``manual_seed``)."""

    def random_normal(self, shape: Shape, d: dtype, /) -> Array:
        """Samples of ``N(0, 1)`` from the backend's generator."""

    def random_integers(self, low: int, high: int, shape: Shape, d: dtype, /) -> Array:
        """Integers uniform in ``[low, high)`` from the backend's generator."""

    def mse_loss_sum(self, a: Array, b: Array, /) -> Array:
        """``sum((a - b) ** 2)`` over every element, 0-d (fused: issue 21)."""

    def dropout_mask(self, u: Array, p: Scalar, scale: Scalar, /) -> Array:
        """``scale`` where ``u >= p``, else 0, in ``u``'s dtype: dropout's mask from uniform
        samples (fused: issue 21)."""

    # -- fused forward kernels (issue 21, ``FUSED``; defaults in ``_fused_forward``)

    def nll_loss_weights(
        self, target: Array, ignore_index: int, like: Array, /
    ) -> tuple[Array, Array]:
        """``(cols, w)``: ``target`` with ``ignore_index`` replaced by 0, and 1 where it is
        not ``ignore_index``, else 0, in ``like``'s dtype (the NLL loss's row weights)."""

    def nll_loss_terms(self, logp: Array, rows: Array, cols: Array, w: Array, /) -> Array:
        """``-(logp[rows, cols] * w)``: each row's weighted negative log-likelihood."""

    def mse_loss_mean(self, a: Array, b: Array, /) -> Array:
        """``sum((a - b) ** 2) / n``, ``n`` the broadcast size, 0-d."""

    def dropout(self, x: Array, u: Array, p: Scalar, scale: Scalar, /) -> Array:
        """``x * dropout_mask(u, p, scale)``: dropout's output from its uniform samples."""

    def softmax(self, x: Array, axes: Shape, /) -> Array:
        """``exp(x - m) / sum(exp(x - m), axes)``, ``m`` the maximum over ``axes``."""

    def log_softmax(self, x: Array, axes: Shape, /) -> Array:
        """``(x - m) - log(sum(exp(x - m), axes))``, ``m`` the maximum over ``axes``."""

    def from_foreign(self, x: Any, src: Backend, device: Device | None, /) -> Array | None:
        """``x``, an array of backend ``src``, as a new array of this backend (on
        ``device``), without a trip through host memory (DLPack, a peer copy, ...); ``None``
        when it cannot, and the core goes through ``to_host``/``from_host``."""


class OptionalOps(Protocol):
    """The optional kernels and accelerators, which a backend may leave out: declared for
    their signatures (the tiers say what the core does without each)."""

    def scatter_add(self, dst: Array, idx: Index, src: Array, /) -> None:
        """``dst[idx] += src`` with repeated indices accumulating (the index gradient)."""

    # fmt: off
    def adam_update(
        self, p: Array, g: Array, m: Array, v: Array, vmax: Array | None, decay: Scalar,
        wd: Scalar, beta1: Scalar, beta2: Scalar, lr: Scalar, step: Operand, eps: Scalar, /,
    ) -> None:
        """One Adam step in place on a group's flat buffers, all float32 or all float64 of
        one dtype (issue 21; ``optim._foreach``'s composed step, operation by operation):
        ``p *= decay`` unless ``decay == 1`` (AdamW), ``g += wd * p`` unless ``wd == 0``
        (L2), ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g g``,
        ``vmax = maximum(vmax, v)`` when given (amsgrad), ``p += m * s / (sqrt(vmax or v) /
        c + eps)`` with ``s = -lr / (1 - beta1**step)`` and ``c = sqrt(1 - beta2**step)`` in
        double precision; ``step`` a number or a 1-element array (``capturable``: read when
        the kernel runs). Writes ``p``, ``m``, ``v`` and ``vmax``."""

    def sgd_update(
        self, p: Array, g: Array, buf: Array, wd: Scalar, momentum: Scalar, dampening: Scalar,
        nesterov: bool, lr: Scalar, /,
    ) -> None:
        """One SGD step with momentum in place on flat buffers of one float dtype (issue
        21): ``g += wd * p`` unless ``wd == 0``; ``buf = momentum buf + (1 - dampening) g``;
        ``g = g + momentum buf`` (``nesterov``) or ``buf``; ``p += g * -lr``. Writes ``p``
        and ``buf``."""
    # fmt: on

    def index_add(self, x: Array, idx: Index, src: Array, /) -> Array:
        """A new array equal to ``x`` with ``src`` added at ``idx``, repeated indices
        accumulating, in ``x``'s dtype (as ``scatter_add`` casts); ``x`` is left alone. The
        functional ``scatter_add`` of a backend whose arrays are immutable (JAX's
        ``x.at[idx].add(src)``); the core uses ``scatter_add`` where a backend has it and
        this one otherwise."""

    def bitwise_and(self, a: Operand, b: Operand, /) -> Array:
        """``a & b`` of integer arrays (and numbers), bit by bit, broadcasting (``&``)."""

    def bitwise_or(self, a: Operand, b: Operand, /) -> Array:
        """``a | b`` of integer arrays (and numbers), bit by bit, broadcasting (``|``)."""

    def linalg_cholesky(self, a: Array, /) -> Array:
        """The lower Cholesky factor ``l`` (``a = l @ l^T``) of each symmetric
        positive-definite matrix of ``a``; any exception for one that is not."""

    def linalg_slogdet(self, a: Array, /) -> tuple[Array, Array]:
        """``(sign, log|det|)`` of each square matrix of ``a`` (sign 0 and -inf where
        singular)."""

    def isub(self, dst: Array, src: Operand, /) -> None:
        """``dst -= src``."""

    def imul(self, dst: Array, src: Operand, /) -> None:
        """``dst *= src``."""

    def idiv(self, dst: Array, src: Operand, /) -> None:
        """``dst /= src``."""

    def fill_(self, dst: Array, value: Scalar, /) -> None:
        """Every element of ``dst`` set to ``value``."""

    def where_zero_owned(self, cond: Array, x: Array, /) -> Array:
        """``where(cond, x, 0)``, where the caller gives up ``x`` (nothing else refers to
        it): the result may be ``x`` itself, overwritten. Use the result, never ``x``."""

    # -- selection (issue 16): sort, top-k, unique and search have no reasonable composition
    # of the primitives; a backend without one refuses only the ops that need it.

    def argsort(self, x: Array, axis: int, descending: bool, stable: bool, /) -> Array:
        """int64 indices that sort ``x`` along ``axis``; NaN counts as the largest value;
        ``stable``: equal values keep their order (descending too)."""

    def topk(self, x: Array, k: int, axis: int, largest: bool, /) -> Array:
        """int64 indices of the ``k`` largest (``largest``) or smallest values along
        ``axis``, in sorted order (NaN the largest)."""

    def unique(self, x: Array, axis: int | None, /) -> tuple[Array, Array, Array]:
        """The sorted distinct values of ``x`` (``None``: flattened) or distinct slices
        along ``axis``; the int64 inverse (one entry per element or slice) and counts."""

    def searchsorted(self, seq: Array, values: Array, right: bool, /) -> Array:
        """int64 insertion points of ``values`` in ``seq``, sorted along its last axis
        (1-d, or with ``values``'s leading dims); ``right``: after equal values."""


class RandomGenerator(Protocol):
    """A backend's generator object (``Backend.rng``, optional): the one behind its random
    kernels, and the maker of the independent streams a ``tp.Generator`` draws from."""

    def uniform(self, shape: Shape, d: dtype, /) -> Array:
        """Samples of ``U[0, 1)``, as ``random_uniform``."""

    def normal(self, shape: Shape, d: dtype, /) -> Array:
        """Samples of ``N(0, 1)``, as ``random_normal``."""

    def integers(self, low: int, high: int, shape: Shape, d: dtype, /) -> Array:
        """Integers uniform in ``[low, high)``, as ``random_integers``."""

    def fork(self, seed: int, /) -> RandomGenerator:
        """A new generator seeded with ``seed`` (``0 <= seed < 2**64``), independent of this
        one: the same seed gives the same numbers."""

    def get_state(self) -> Any:
        """The generator's state as JSON-serialisable data (``tp.Generator.get_state``)."""

    def set_state(self, state: Any, /) -> None:
        """Go back to a state ``get_state`` returned."""


class WhereZeroOwnedOps(KernelOps, Protocol):
    """A ``KernelOps`` with the accelerator ``where_zero_owned``: what ReLU's and clamp's
    ``Node.backward_owned`` call once ``has_where_zero_owned(ops)`` said so (a backend may
    leave it out, and ``TENSOR_OPS`` never has it)."""

    def where_zero_owned(self, cond: Array, x: Array, /) -> Array:
        """As ``OptionalOps.where_zero_owned`` (``_table`` checks that the two agree)."""


def has_where_zero_owned(ops: KernelOps) -> TypeGuard[WhereZeroOwnedOps]:
    """Whether ``ops`` has the ``where_zero_owned`` accelerator."""
    return hasattr(ops, "where_zero_owned")


PRIMITIVES: frozenset[str] = frozenset(
    {
        "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "sin", "cos",
        "tanh", "sign",
        "maximum", "minimum", "where", "eq", "ne", "lt", "le", "gt", "ge",
        "sum", "prod", "amax", "amin", "argmax", "argmin", "matmul",
        "reshape", "permute", "broadcast_to", "concat", "getitem", "setitem", "astype", "copy",
        "full", "arange", "linspace", "eye", "from_host", "to_host", "dtype_of",
        "random_uniform", "random_normal", "random_integers",
    }
)  # fmt: skip
"""Kernels every backend implements; a backend missing any is refused when it is built.
Changing this set is an API decision."""

FUSED: frozenset[str] = frozenset(
    {
        "relu_backward", "gelu_backward", "silu_backward", "softmax_backward",
        "log_softmax_backward", "mse_loss_backward", "mse_loss_sum", "dropout_mask", "gelu",
        "clamp_backward", "pow_backward", "dropout_backward", "mse_loss_mean", "dropout",
        "softmax", "log_softmax", "nll_loss_terms", "nll_loss_backward", "nll_loss_weights",
    }
)  # fmt: skip
"""Derived kernels a GPU backend fuses into one or two launches (issue 21); their defaults
are ``_fused_formulas``'s (GELU's: ``_gelu``'s)."""

DERIVED: frozenset[str] = frozenset(
    {
        "sum_to", "index_grad", "iota", "const", "log1p", "expm1", "rsqrt", "reciprocal",
        "square", "sigmoid", "tanh_backward", "sigmoid_backward", "relu", "clamp", "stack",
        "assign", "iadd", "isfinite", "any_nonfinite", "reshape_view",
        "cumsum", "cumprod", "index_put",
        "strides",
    }
) | FUSED  # fmt: skip
"""Kernels with a default composed from primitives (``_backend.default_kernels``); a backend
overrides one only to be faster, except ``reshape_view``, whose default declines (a copy is
always safe) and which a library with views overrides so that ``reshape`` stays a view."""

SPECIAL: frozenset[str] = frozenset({"digamma", "trigamma", "polygamma"})
"""The optional pointwise kernels a backward formula calls (``lgamma``'s, ``digamma``'s and
``polygamma``'s)."""

OPTIONAL: frozenset[str] = (
    frozenset(
        {
            "scatter_add", "index_add", "bitwise_and", "bitwise_or",
            "linalg_inv", "linalg_solve", "linalg_cholesky", "linalg_slogdet",
            "linalg_eigh", "linalg_svd", "linalg_qr",
            "argsort", "topk", "unique", "searchsorted",
            "adam_update", "sgd_update",
        }
    )
    | SPECIAL
    | POINTWISE
)  # fmt: skip
"""Kernels without a default; an op that needs one the backend lacks raises
``UnsupportedOperation`` naming the op and the backend (``&``/``|`` of bool tensors need
none: they are ``where``). ``POINTWISE`` (``_contract_pointwise``) are the rounding,
trigonometric, special-function and bitwise kernels."""

ACCELERATORS: frozenset[str] = frozenset({"isub", "imul", "idiv", "fill_", "where_zero_owned"})
"""Kernels without a default that the core uses when a backend has them (in-place updates
outside the graph, ``zero_()``, ReLU's backward written into its own gradient) and otherwise
replaces with primitives: they only make things faster."""

HOST_BOUNDARY: frozenset[str] = frozenset({"from_foreign"})
"""Kernels called only where a tensor crosses from one backend or device to another
(``.to()``). Their default declines (returns ``None``), and the core then goes through host
memory with the primitives ``to_host`` and ``from_host``."""

TIERS: Mapping[Tier, frozenset[str]] = {
    "primitive": PRIMITIVES,
    "derived": DERIVED,
    "optional": OPTIONAL,
    "accelerator": ACCELERATORS,
    "host_boundary": HOST_BOUNDARY,
}
"""Every kernel name in exactly one tier."""

IN_PLACE: frozenset[str] = frozenset(
    {"setitem", "assign", "iadd", "isub", "imul", "idiv", "fill_", "scatter_add",
     "adam_update", "sgd_update"}
)  # fmt: skip
"""Kernels that write into their first argument and return ``None`` (the core ignores what
they return; the optimizer updates write their state arrays too). Every other kernel leaves
its arguments alone and returns its result, except those in ``REUSES``."""

REUSES: frozenset[str] = frozenset({"where_zero_owned"})
"""Kernels given an array the caller gives up, whose memory the result may take over: the
caller uses the result and never the array it passed."""

IMMUTABLE_REQUIRED: frozenset[str] = (PRIMITIVES - IN_PLACE) | {"index_put"}
"""What a backend whose arrays are immutable (``Backend.mutable`` false) must implement: the
primitives less the in-place ones, which the core never calls there (``IN_PLACE`` and
``REUSES`` kernels are left out of its ``backend.k``), and the functional write
``index_put`` in their place (``index_add`` stands for ``scatter_add``, optionally)."""

VARIANTS: frozenset[str] = frozenset({"nd"})
"""Attributes a kernel function may carry: the same kernel for a narrower set of calls.
``nd``: for calls whose operands are all arrays, at least one with a dimension (the compiled
hot path calls it for such operands), where a wrapper's work for numbers and 0-d arrays can
be skipped. Allowed on the kernels whose ``KernelSpec.variants`` name it."""

ELEMENTWISE: frozenset[str] = frozenset(
    {
        "add", "sub", "mul", "div", "pow", "maximum", "minimum", "neg", "exp", "log", "sqrt",
        "abs", "sin", "cos", "tanh", "sign", "sigmoid", "eq", "ne", "lt", "le", "gt", "ge",
        "log1p", "expm1", "rsqrt", "reciprocal", "square", "relu", "isfinite", "bitwise_and",
        "bitwise_or",
    }
    | SPECIAL
    | POINTWISE
)  # fmt: skip
"""The elementwise kernels on operands (arrays or numbers): the ones that may carry ``nd``."""

PRIVATE_PREFIX = "_"
"""A kernel-table name starting with this is a backend's private helper: the contract
ignores it and the core never calls it. Any other name the contract does not know is refused
when the backend is built (a misspelt override would otherwise be silently unused)."""


@dataclass(frozen=True)
class KernelSpec:
    """One kernel of the contract (an entry of ``KERNELS``)."""

    name: str
    signature: str
    """Parameters and return type, e.g. ``(a: Operand, b: Operand) -> Array``."""
    tier: Tier
    effect: Effect
    doc: str
    variants: frozenset[str] = frozenset()


def _signature(fn: Callable[..., Any]) -> str:
    params = list(inspect.signature(fn).parameters.values())[1:]  # without ``self``
    ret = inspect.signature(fn).return_annotation
    return f"({', '.join(f'{p.name}: {p.annotation}' for p in params)}) -> {ret}"


def _table() -> dict[str, KernelSpec]:
    tier_of = {name: tier for tier, names in TIERS.items() for name in names}
    table: dict[str, KernelSpec] = {}
    for proto in (KernelOps, BackendOps, OptionalOps, PointwiseOps):
        for name, fn in vars(proto).items():
            if name.startswith("_") or not callable(fn):
                continue
            effect: Effect = "returns"
            if name in IN_PLACE or name in REUSES:
                effect = "in_place" if name in IN_PLACE else "reuses"
            table[name] = KernelSpec(
                name=name,
                signature=_signature(fn),
                tier=tier_of[name],
                effect=effect,
                doc=inspect.cleandoc(fn.__doc__ or ""),
                variants=VARIANTS if name in ELEMENTWISE else frozenset(),
            )
    if set(table) != set(tier_of):
        raise AssertionError(f"tiers and signatures disagree: {sorted(set(table) ^ set(tier_of))}")
    for name, fn in vars(WhereZeroOwnedOps).items():
        if not name.startswith("_") and callable(fn) and _signature(fn) != table[name].signature:
            raise AssertionError(f"WhereZeroOwnedOps.{name} disagrees with the contract")
    return table


KERNELS: Mapping[str, KernelSpec] = _table()
"""Every kernel of the contract by name, in declaration order."""


def check(name: str, kernels: Mapping[str, Kernel], mutable: bool = True) -> None:
    """Refuse a kernel table that breaks the contract, naming every offending kernel.

    Raises:
        TypeError: a primitive is missing (for an immutable backend: one of
            ``IMMUTABLE_REQUIRED``), a name is not in the contract (and not private), a
            kernel is not callable, or a variant is not callable or not allowed there.
    """
    missing = sorted((PRIMITIVES if mutable else IMMUTABLE_REQUIRED) - set(kernels))
    if missing:
        raise TypeError(f"backend {name!r} is missing required kernels: {', '.join(missing)}")
    unknown = sorted(k for k in kernels if k not in KERNELS and not k.startswith(PRIVATE_PREFIX))
    if unknown:
        raise TypeError(
            f"backend {name!r} has kernels the contract does not know: {', '.join(unknown)} "
            f"(the kernels are listed in docs/backend-guide.md; a backend's private helper "
            f"takes a name starting with {PRIVATE_PREFIX!r})"
        )
    problems: list[str] = []
    for k, f in kernels.items():
        if k in KERNELS:
            problems.extend(_problems(k, f, KERNELS[k].variants))
    if problems:
        raise TypeError(f"backend {name!r} breaks the kernel contract: {'; '.join(problems)}")


def _problems(name: str, kernel: Kernel, allowed: Iterable[str]) -> list[str]:
    if not callable(kernel):
        return [f"{name} is not callable"]
    out = []
    for variant in sorted(VARIANTS):
        v = getattr(kernel, variant, None)
        if v is None:
            continue
        if variant not in allowed:
            out.append(f"{name} carries {variant!r}, a variant only elementwise kernels have")
        elif not callable(v):
            out.append(f"{name}.{variant} is not callable")
    return out
