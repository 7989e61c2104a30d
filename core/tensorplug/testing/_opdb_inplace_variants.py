"""Op-database entries of the in-place variants (``x.exp_()``, ``x.eq_(y)``, ``x.t_()``,
``tensorplug.relu_(x)``), each derived from its out-of-place op's entry: that entry's reference,
tolerances and first samples that an in-place form takes (``self`` keeps its shape and dtype),
run on a copy of the input so that a leaf that requires grad can take part. One table
(``_inplace_variants``) says which exist; none is written here by hand."""

# mypy: disable-error-code="no-any-return"

from __future__ import annotations

from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase
from typing import Any

import numpy as np

from .. import _dtype as D
from .. import _inplace_variants as IV
from ._opinfo import ErrorInput, OpInfo, SampleInput, TorchRef
from ._samples import Gen, S

_BASE = {
    "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
    "not_equal": "ne", "swapaxes": "transpose", "swapdims": "transpose", "absolute": "abs",
    "clip": "clamp", "sgn": "sign",
}  # fmt: skip
"""In-place names whose out-of-place op's entry has another name."""

_FLOAT_RESULT = "can't be cast to the desired output type"
_SAMPLES = 2
"""Samples per variant: the out-of-place entry has the rest."""

_DTYPES = (D.int64, D.float32, D.float64)
"""The dtypes a variant is run in (of those its op takes): the op's entry has the rest, so
the variant's cost stays small on every backend's conformance run."""


def on_copy(name: str) -> Callable[..., Any]:
    """``input.clone().name(...)`` in the library ``input`` comes from."""

    def call(input: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(input.clone(), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


_NO_DERIVATIVE = ("asinh_", "acosh_", "atanh_", "arcsinh_", "arccosh_", "arctanh_", "detach_")
"""Left out: PyTorch's in-place ``asinh`` and friends have no derivative (their backward
raises, here too: ``tests/ops/test_pointwise_families.py``); ``detach_`` is no op on values."""


def _names() -> list[str]:
    names = {*IV.TABLE, *IV.ALIASES, *IV.SHAPES, *IV.FUNCTIONS}
    return sorted(names.difference(_NO_DERIVATIVE))


def _fits(sample: SampleInput, ints: bool) -> bool:
    """Whether an in-place form takes ``sample``: its first argument is data, which the other
    arrays broadcast to (no larger result), and no float number meets an integer tensor."""
    first = sample.args[0] if sample.args else None
    if not isinstance(first, np.ndarray) or first.dtype != np.float64:
        return False
    for a in (*sample.args[1:], *sample.kwargs.values()):
        if isinstance(a, np.ndarray):
            try:
                if np.broadcast_shapes(first.shape, a.shape) != first.shape:
                    return False
            except ValueError:
                return False
        elif isinstance(a, float) and ints:
            return False
    return True


def _samples(base: OpInfo, ints: bool) -> Callable[[Gen], Iterator[SampleInput]]:
    def gen(rng: Gen) -> Iterator[SampleInput]:
        taken = [s for s in base.sample_inputs() if _fits(s, ints)]
        yield from taken[:_SAMPLES]

    return gen


def _errors(name: str, base: OpInfo, promotes: bool) -> Callable[[], list[ErrorInput]]:
    """An integer tensor whose op's result is a float, which cannot be written back."""

    def errors() -> list[ErrorInput]:
        if not promotes:
            return []
        x = np.array([1, 2], dtype=np.int64)
        return [ErrorInput(S("int_self", (x,)), RuntimeError, _FLOAT_RESULT)]

    return errors


def _variant(name: str, base: OpInfo) -> OpInfo:
    compare = base.result_dtype(D.float64) is D.bool_
    shape_op = name in IV.SHAPES
    dtypes = tuple(
        d for d in base.dtypes if (compare or base.result_dtype(d) is d) and d in _DTYPES
    )
    ints = any(not d.is_floating_point for d in dtypes)
    ref = base.ref
    if compare and ref is not None:
        cmp = ref
        ref = lambda *a, **k: np.asarray(cmp(*a, **k), dtype=np.float64)  # noqa: E731
    first = base.sample_inputs()[0]
    unary = len(first.args) == 1 and not first.kwargs and not shape_op
    promotes = unary and D.int64 not in base.dtypes and name not in ("round_", "frac_")
    parity = base.torch_ref
    samples = _samples(base, ints)
    taken = [s.name for s in samples(np.random.default_rng(0))]

    def declared(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        return tuple((p, why) for p, why in pairs if any(fnmatchcase(n, p) for n in taken))

    return OpInfo(
        name,
        on_copy(name),
        ref,
        samples,
        dtypes=dtypes,
        grad_dtypes=base.grad_dtypes,
        supports_autograd=base.supports_autograd,
        supports_gradgrad=base.supports_gradgrad,
        errors=_errors(name, base, promotes and name != "nan_to_num_"),
        tolerances=base.tolerances,
        grad_tolerances=base.grad_tolerances,
        namespace="tensorplug.Tensor." + name,
        torch_ref=TorchRef(
            on_copy(name),
            other_nodes=declared(parity.other_nodes if parity else ()),
            known_differences=declared(parity.known_differences if parity else ()),
            tolerance=parity.tolerance if parity else None,
        ),
    )


def inplace_variant_ops(db: list[OpInfo]) -> list[OpInfo]:
    """An entry for every in-place variant of the table whose out-of-place op has one in
    ``db`` (and which has none of its own there: ``zero_``, ``fill_``)."""
    by_name = {n: info for info in db for n in (info.name, *info.aliases)}
    out = []
    for name in _names():
        base = by_name.get(_BASE.get(name[:-1], name[:-1]))
        if base is not None and name not in by_name:
            out.append(_variant(name, base))
    return out


_ALIASES = {
    "absolute": "abs", "greater": "gt", "greater_equal": "ge", "less": "lt",
    "less_equal": "le", "not_equal": "ne", "swapaxes": "transpose", "swapdims": "transpose",
    "sgn": "sign", "positive": "neg", "ravel": "flatten",
}  # fmt: skip
"""PyTorch's second names (``_tensor_protocol``) and the entry whose samples they take."""

_OWN_REF: dict[str, Callable[..., Any]] = {
    "positive": lambda x: x,
    "ravel": lambda x: np.reshape(x, -1),
}
"""References of the names that are no alias of their samples' entry."""


def alias_ops(db: list[OpInfo]) -> list[OpInfo]:
    """An entry for each second name, with its first entry's samples, reference and
    tolerances, checked against PyTorch's function of that name and its method."""
    import tensorplug as tp

    from ._samples import torch_function

    by_name = {n: info for info in db for n in (info.name, *info.aliases)}
    out = []
    for name, base_name in _ALIASES.items():
        base = by_name[base_name]
        own = _OWN_REF.get(name)
        samples = _first(base, own is not None)
        out.append(
            OpInfo(
                name,
                getattr(tp, name),
                own or base.ref,
                samples,
                dtypes=tuple(d for d in base.dtypes if d in _DTYPES),
                grad_dtypes=base.grad_dtypes,
                result_dtype=base.result_dtype,
                supports_autograd=base.supports_autograd,
                supports_gradgrad=base.supports_gradgrad,
                errors=None if own else base.errors,
                tolerances=base.tolerances,
                grad_tolerances=base.grad_tolerances,
                torch_ref=torch_function(name),
            )
        )
    return out


def _first(base: OpInfo, one_argument: bool) -> Callable[[Gen], Iterator[SampleInput]]:
    """``base``'s first samples (those with one argument only, for ``one_argument``): the
    entry of ``base`` has the rest."""

    def gen(rng: Gen) -> Iterator[SampleInput]:
        taken = [s for s in base.sample_inputs() if len(s.args) == 1 and not s.kwargs]
        yield from (taken if one_argument else base.sample_inputs())[: _SAMPLES + 1]

    return gen
