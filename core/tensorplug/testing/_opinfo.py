"""The records of the op database: ``OpInfo``, ``SampleInput``, ``ErrorInput``, ``TorchRef``.

Samples are backend-neutral: host NumPy arrays. A float64 array is *data*, cast to the dtype
under test; an integer or bool array keeps its dtype (class indices, masks). ``bind`` turns a
sample into tensors on a backend in a given layout, and rebuilds the call from a flat list of
tensors, so gradient checks can perturb them one by one.
"""

from __future__ import annotations

import inspect
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _dtype as D
from .._backend import Backend
from .._creation import tensor
from .._grad_mode import no_grad
from .._indexing import getitem
from .._ops_shape import transpose
from .._tensor import Tensor
from ._compare import Tol

FLOATS: tuple[D.dtype, ...] = (D.float16, D.float32, D.float64)
INTS: tuple[D.dtype, ...] = (D.int32, D.int64)
NUMERIC: tuple[D.dtype, ...] = INTS + FLOATS
ALL: tuple[D.dtype, ...] = (D.bool_, *NUMERIC)

LAYOUTS = ("contiguous", "noncontiguous")

NP_DTYPE = {
    D.bool_: np.bool_,
    D.int32: np.int32,
    D.int64: np.int64,
    D.float16: np.float16,
    D.float32: np.float32,
    D.float64: np.float64,
}


@dataclass
class SampleInput:
    """One named call of an op: ``op(*args, **kwargs)`` with host arrays for tensors.

    Args:
        name: stable, descriptive; part of test IDs and of known-failure selectors.
        group: ``basic``; ``special`` for ±0/±inf/NaN inputs; ``forward_only`` where the
            op's gradient is by design not the mathematical one (``padding_idx``).
        broadcasts: the op broadcasts its inputs here (checked against explicit expansion).
        needs_kernels: optional kernels this sample's backward needs (``scatter_add``...).
        forward_kernels: optional kernels the op itself needs here (``argsort``...): on a
            backend without one, the sample is checked to raise ``UnsupportedOperation``.
    """

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    group: str = "basic"
    broadcasts: bool = False
    needs_kernels: tuple[str, ...] = ()
    forward_kernels: tuple[str, ...] = ()

    def bind(
        self,
        backend: Backend,
        dtype: D.dtype,
        layout: str = "contiguous",
        requires_grad: bool = False,
    ) -> Bound:
        return Bound(self, backend, dtype, layout, requires_grad)

    def host_args(
        self, dtype: D.dtype, keep_nograd: bool = False
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The arguments as the reference sees them: data rounded to ``dtype``, in float64
        (``keep_nograd``: still wrapped in ``NoGrad`` where they were, to bind again)."""

        def conv(a: Any) -> Any:
            if isinstance(a, NoGrad):
                return NoGrad(conv(a.array)) if keep_nograd else conv(a.array)
            if _is_data(a):
                return cast_data(a, dtype).astype(np.float64)
            return _map(a, conv)

        return tuple(conv(a) for a in self.args), {k: conv(v) for k, v in self.kwargs.items()}


@dataclass(frozen=True)
class NoGrad:
    """Data (cast to the dtype under test) that never requires grad: a class ``weight``."""

    array: np.ndarray


@dataclass
class ErrorInput:
    """A call that must raise ``exc`` with a message matching the regex ``match``."""

    sample: SampleInput
    exc: type[BaseException] | tuple[type[BaseException], ...]
    match: str


def _is_data(a: Any) -> bool:
    return isinstance(a, np.ndarray) and a.dtype == np.float64


def _map(a: Any, f: Callable[[Any], Any]) -> Any:
    if isinstance(a, list):
        return [f(x) for x in a]
    if isinstance(a, tuple):
        return tuple(f(x) for x in a)
    return a


def cast_data(a: np.ndarray, dtype: D.dtype) -> np.ndarray:
    """Data values as ``dtype`` would hold them (rounded for integers, true for bools)."""
    if dtype is D.bool_:
        return np.asarray(a != 0)
    if not dtype.is_floating_point:
        return np.round(a).astype(NP_DTYPE[dtype])
    with np.errstate(all="ignore"):
        return a.astype(NP_DTYPE[dtype])


class Bound:
    """A sample's tensors on a backend, and ``call`` to run the op on them (or on others)."""

    def __init__(
        self,
        sample: SampleInput,
        backend: Backend,
        dtype: D.dtype,
        layout: str,
        requires_grad: bool,
    ) -> None:
        self.sample = sample
        self.tensors: list[Tensor] = []
        self.differentiable: list[bool] = []
        self._args = tuple(
            self._conv(a, backend, dtype, layout, requires_grad) for a in sample.args
        )
        self._kwargs = {
            k: self._conv(v, backend, dtype, layout, requires_grad)
            for k, v in sample.kwargs.items()
        }

    def _conv(self, a: Any, be: Backend, dtype: D.dtype, layout: str, rg: bool) -> Any:
        if isinstance(a, NoGrad):
            return self._conv(a.array, be, dtype, layout, False)
        if isinstance(a, np.ndarray):
            data = _is_data(a)
            host = cast_data(a, dtype) if data else a
            t = to_backend(host, be, D.as_dtype(host.dtype), layout)
            grad = data and rg and dtype.is_floating_point
            if grad:
                t.requires_grad_()
            self.tensors.append(t)
            self.differentiable.append(grad)
            return _Slot(len(self.tensors) - 1)
        return _map(a, lambda x: self._conv(x, be, dtype, layout, rg))

    def args(self, tensors: Sequence[Any] | None = None) -> tuple[tuple[Any, ...], dict[str, Any]]:
        ts = self.tensors if tensors is None else tensors

        def fill(a: Any) -> Any:
            return ts[a.i] if isinstance(a, _Slot) else _map(a, fill)

        return tuple(fill(a) for a in self._args), {k: fill(v) for k, v in self._kwargs.items()}

    def call(self, op: Callable[..., Any], tensors: Sequence[Any] | None = None) -> Any:
        args, kwargs = self.args(tensors)
        return op(*args, **kwargs)


@dataclass(frozen=True)
class _Slot:
    i: int


def to_backend(host: np.ndarray, be: Backend, dtype: D.dtype, layout: str = "contiguous") -> Tensor:
    """A tensor holding ``host``'s values; ``noncontiguous`` makes it a transposed view (n-d)
    or a strided view (1-d) of a larger tensor, through the public view ops."""
    if layout == "contiguous" or host.ndim == 0 or host.size == 0:
        return tensor(host, dtype=dtype, backend=be)
    with no_grad():
        if host.ndim >= 2:
            base = tensor(np.ascontiguousarray(np.swapaxes(host, -1, -2)), dtype=dtype, backend=be)
            return transpose(base, -1, -2)
        wide = np.zeros((2 * host.shape[0],), dtype=host.dtype)
        wide[::2] = host
        return getitem(tensor(wide, dtype=dtype, backend=be), slice(None, None, 2))


@dataclass(frozen=True)
class Variant:
    """Another spelling of an op: a method, an operator, an in-place method on a copy.

    ``call`` is written once for both libraries' tensors (``operator.add``, ``method("add")``)
    and takes a sample's arguments; it runs on the samples whose arguments fit its signature.
    """

    name: str
    call: Callable[..., Any]

    def accepts(self, sample: SampleInput) -> bool:
        try:
            inspect.signature(self.call).bind(*sample.args, **sample.kwargs)
        except TypeError:
            return False
        return True


def method(name: str) -> Variant:
    """The op as a method of its first argument: ``x.name(*args, **kwargs)``."""

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, name)(*args, **kwargs)

    return Variant(f"method_{name}", call)


def inplace(name: str) -> Variant:
    """The in-place method on a copy of the first argument, so that a leaf that requires grad
    can take part: ``x.clone().name(*args, **kwargs)`` (``add_``, ``clamp_``)."""

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(self.clone(), name)(*args, **kwargs)

    return Variant(name, call)


@dataclass(frozen=True)
class TorchRef:
    """The op in PyTorch, the oracle of ``tests/ops/test_torch_parity.py``: every sample (and
    every variant that takes it) runs in both libraries in float64, and the values, dtypes,
    shapes, ``requires_grad``, node names (``grad_fn.name()``) and the gradients of every input
    must agree (gradients outside the ``special`` group); where PyTorch raises, tensorplug must
    raise the same exception type.

    Args:
        fn: the function's dotted name under ``torch`` (``"add"``, ``"nn.functional.softmax"``),
            or a call on torch tensors where PyTorch spells the op otherwise
            (``lambda x, *sizes: x.expand(*sizes)``): PyTorch is never imported here.
        variants: other spellings (methods, operators, reflected and in-place forms), each
            checked against the same spelling in PyTorch.
        other_nodes: ``(pattern, reason)``: sample (or ``variant:sample``) names, globs
            allowed, whose result PyTorch builds with other nodes; values and gradients are
            still compared.
        known_differences: ``(pattern, reason)``: cases where tensorplug knowingly differs
            from PyTorch; strict expected failures until it does not.
        tolerance: looser than the default (``rtol=1e-10, atol=1e-12``; gradients ``1e-9``
            and ``1e-10``), with its reason, for values and gradients.
    """

    fn: str | Callable[..., Any]
    variants: tuple[Variant, ...] = ()
    other_nodes: tuple[tuple[str, str], ...] = ()
    known_differences: tuple[tuple[str, str], ...] = ()
    tolerance: Tol | None = None


@dataclass
class OpInfo:
    """Everything the conformance suite knows about one public op.

    Args:
        name: the public name (``tensorplug.NAME`` or ``tensorplug.nn.functional.NAME``).
        op: the public callable.
        ref: the NumPy reference; takes float64 host arrays, returns an array or a tuple.
        samples: ``samples(rng)`` yields ``SampleInput`` records; the first is the quick-mode one.
        dtypes: the dtypes it is defined for; ``grad_dtypes`` those it is differentiable for.
        result_dtype: the output dtype for an input dtype (default: the same).
        supports_gradgrad: whether double backward is supported (and checked).
        errors: ``errors()`` yields ``ErrorInput`` records.
        aliases: other public names of the same op.
        tolerances / grad_tolerances: per-dtype overrides (each ``Tol`` with its reason).
        grad_outputs: picks the differentiable outputs of multi-output ops.
        torch_ref: how PyTorch spells the op, for the PyTorch parity test (``TorchRef``).
    """

    name: str
    op: Callable[..., Any]
    ref: Callable[..., Any] | None
    samples: Callable[[np.random.Generator], Iterable[SampleInput]]
    dtypes: tuple[D.dtype, ...] = FLOATS
    grad_dtypes: tuple[D.dtype, ...] = FLOATS
    result_dtype: Callable[[D.dtype], D.dtype] = lambda d: d
    supports_autograd: bool = True
    supports_gradgrad: bool = True
    errors: Callable[[], Iterable[ErrorInput]] | None = None
    aliases: tuple[str, ...] = ()
    tolerances: dict[D.dtype, Tol] = field(default_factory=dict)
    grad_tolerances: dict[D.dtype, Tol] = field(default_factory=dict)
    grad_outputs: Callable[[Any], Any] | None = None
    namespace: str = "tensorplug"
    torch_ref: TorchRef | None = None

    def sample_inputs(self) -> list[SampleInput]:
        """The samples, always the same: the generator is seeded from the op's name."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return list(self.samples(rng))

    def error_inputs(self) -> list[ErrorInput]:
        return list(self.errors()) if self.errors is not None else []

    def differentiable_fn(self) -> Callable[..., Any]:
        """The op with only its differentiable outputs (``max(dim=...)`` -> values)."""
        pick = self.grad_outputs
        return self.op if pick is None else (lambda *a, **k: pick(self.op(*a, **k)))


def iter_names(db: Iterable[OpInfo]) -> Iterator[str]:
    for info in db:
        yield info.name
        yield from info.aliases
