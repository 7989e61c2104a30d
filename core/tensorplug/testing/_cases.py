"""Which (family, op, dtype, sample) cases a backend gets, and what it declared about them.

Only combinations the backend claims are generated as ordinary tests: its ``dtypes`` and its
kernels. An op's dtype the backend lacks, or a sample needing an optional kernel it lacks,
becomes an ``unsupported`` case instead, which checks for a clear ``UnsupportedOperation``.
Known failures and loosened tolerances come from the ``Backend`` object itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from .. import _dtype as D
from .._backend import Backend, KnownFailure
from ._aliasing import scenarios_of
from ._compare import FORWARD, GRAD_PARITY, Tol
from ._opinfo import ErrorInput, OpInfo, SampleInput

FAMILIES = (
    "forward",
    "noncontiguous",
    "aliasing",
    "broadcast",
    "gradcheck",
    "gradgradcheck",
    "grad_parity",
    "errors",
    "unsupported",
    "engine",
    "training",
)


@dataclass(frozen=True)
class Case:
    """One parametrization of a family's test."""

    family: str
    op: OpInfo | None
    dtype: D.dtype | None
    sample: SampleInput | None = None
    error: ErrorInput | None = None
    missing: str = ""  # for ``unsupported``: the dtype or kernel the backend lacks

    @property
    def op_name(self) -> str:
        return self.op.name if self.op is not None else "-"

    @property
    def dtype_name(self) -> str:
        return self.dtype.name if self.dtype is not None else "-"

    @property
    def sample_name(self) -> str:
        if self.error is not None:
            return self.error.sample.name
        return self.sample.name if self.sample is not None else (self.missing or "-")

    @property
    def id(self) -> str:
        if self.op is None:  # engine invariants and training: one case per dtype
            return self.dtype_name
        if self.missing.startswith("dtype_"):
            return f"{self.op_name}-{self.dtype_name}-{self.missing}"
        tail = f"-{self.missing}" if self.missing else ""
        return f"{self.op_name}-{self.dtype_name}-{self.sample_name}{tail}"


@dataclass
class Selection:
    """Command-line filters (``--tp-ops``, ``--tp-dtypes``, ``--tp-family``, ``--tp-quick``)."""

    ops: tuple[str, ...] = ()
    dtypes: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    quick: bool = False

    def op(self, name: str) -> bool:
        return not self.ops or any(fnmatchcase(name, p) for p in self.ops)

    def dtype(self, d: D.dtype) -> bool:
        return not self.dtypes or d.name in self.dtypes

    def family(self, f: str) -> bool:
        return not self.families or f in self.families


_STANDS_FOR = {"scatter_add": "index_add"}
"""A kernel a sample declares, and the functional one an immutable backend has instead."""


def _has(be: Backend, kernel: str) -> bool:
    other = _STANDS_FOR.get(kernel)
    return be.has_kernel(kernel) or (other is not None and be.has_kernel(other))


def _missing_forward(be: Backend, sample: SampleInput) -> list[str]:
    return [k for k in sample.forward_kernels if not _has(be, k)]


def _missing_kernels(be: Backend, sample: SampleInput) -> list[str]:
    return [k for k in sample.needs_kernels if not _has(be, k)]


def _pick(dtypes: Iterable[D.dtype], prefer: tuple[D.dtype, ...]) -> D.dtype | None:
    ds = list(dtypes)
    for d in prefer:
        if d in ds:
            return d
    return ds[0] if ds else None


def generate(family: str, db: Iterable[OpInfo], be: Backend, sel: Selection) -> Iterator[Case]:
    """The cases of ``family`` for backend ``be``, in a stable order."""
    if not sel.family(family):
        return
    claimed = set(be.supported_dtypes)
    for info in db:
        if not sel.op(info.name):
            continue
        samples = info.sample_inputs()
        # Samples whose forward needs an optional kernel the backend lacks: only checked to
        # raise ``UnsupportedOperation`` (the ``unsupported`` family).
        lacking = [s for s in samples if _missing_forward(be, s)]
        samples = [s for s in samples if not _missing_forward(be, s)]
        # ``special`` values and ``forward_only`` samples (a gradient that is, by design,
        # not the mathematical one) stay out of the gradient families.
        basic = [s for s in samples if s.group == "basic"]
        dtypes = [d for d in info.dtypes if d in claimed and sel.dtype(d)]
        grad_dtypes = [d for d in info.grad_dtypes if d in claimed and sel.dtype(d)]
        diff = info.supports_autograd
        if family == "forward" and info.ref is not None:
            for d in dtypes:
                # ±inf and NaN exist only in floating dtypes.
                usable = (
                    samples if d.is_floating_point else [s for s in samples if s.group != "special"]
                )
                for s in usable[:1] if sel.quick else usable:
                    if not _missing_kernels(be, s):  # else an ``unsupported`` case
                        yield Case(family, info, d, s)
        elif family == "noncontiguous":
            one = _pick(dtypes, (D.float32, D.float64, D.int64))
            chosen = [s for s in basic if _has_nd_data(s)]
            for s in chosen[:1] if sel.quick else chosen:
                if one is not None and not (diff and _missing_kernels(be, s)):
                    yield Case(family, info, one, s)
        elif family == "aliasing":
            yield from _aliasing_cases(info, dtypes, sel.quick)
        elif family == "broadcast":
            one = _pick(dtypes, (D.float64, D.float32))
            for s in [s for s in basic if s.broadcasts]:
                if one is not None and not (diff and _missing_kernels(be, s)):
                    yield Case(family, info, one, s)
        elif family in ("gradcheck", "gradgradcheck") and diff:
            if family == "gradgradcheck" and not info.supports_gradgrad:
                continue
            if D.float64 in grad_dtypes:
                for s in basic[:1] if sel.quick else basic:
                    if not _missing_kernels(be, s):
                        yield Case(family, info, D.float64, s)
        elif family == "grad_parity" and diff:
            for d in grad_dtypes:
                if d is D.float64:
                    continue
                for s in basic[:1] if sel.quick else basic:
                    if not _missing_kernels(be, s) and _nonempty(s):
                        yield Case(family, info, d, s)
        elif family == "errors":
            one = _pick(dtypes, (D.float32, D.float64))
            for e in info.error_inputs():
                if one is not None and not _missing_kernels(be, e.sample):
                    yield Case(family, info, one, error=e)
        elif family == "unsupported":
            for s in lacking[:1]:
                one = _pick(dtypes, (D.float64, D.float32, D.int64))
                if one is not None:
                    miss = _missing_forward(be, s)
                    yield Case(family, info, one, s, missing="forward_" + "+".join(miss))
            for d in info.dtypes:  # checked on a sample whose kernels the backend has
                if d not in claimed and sel.dtype(d) and samples:
                    yield Case(family, info, d, samples[0], missing=f"dtype_{d.name}")
            if diff:
                one = _pick(grad_dtypes, (D.float64, D.float32))
                for s in basic:
                    miss = _missing_kernels(be, s)
                    if miss and one is not None:
                        yield Case(family, info, one, s, missing="kernel_" + "+".join(miss))


def _aliasing_cases(info: OpInfo, dtypes: list[D.dtype], quick: bool) -> Iterator[Case]:
    """Each scenario filed under the op in every claimed float dtype, and its ``-grad``
    variant in the widest."""
    floats = [d for d in dtypes if d.is_floating_point]
    widest = _pick(floats, (D.float64, D.float32))
    scenarios = scenarios_of(info.name)
    for s in scenarios[:1] if quick else scenarios:
        for d in floats:
            yield Case("aliasing", info, d, SampleInput(s.name, ()))
        if widest is not None and info.supports_autograd:
            yield Case("aliasing", info, widest, SampleInput(f"{s.name}-grad", ()))


def _has_nd_data(s: SampleInput) -> bool:
    import numpy as np

    def walk(a: object) -> bool:
        if isinstance(a, np.ndarray):
            return a.dtype == np.float64 and a.ndim >= 1 and a.size > 0
        if isinstance(a, (list, tuple)):
            return any(walk(x) for x in a)
        return False

    return walk(s.args)


def _nonempty(s: SampleInput) -> bool:
    import numpy as np

    def walk(a: object) -> bool:
        if isinstance(a, np.ndarray):
            return a.size > 0
        if isinstance(a, (list, tuple)):
            return all(walk(x) for x in a)
        return True

    return walk(s.args)


# -- declarations ----------------------------------------------------------------------------


def matches(kf: KnownFailure, case: Case) -> bool:
    return (
        fnmatchcase(case.op_name, kf.op)
        and fnmatchcase(case.family, kf.family)
        and fnmatchcase(case.dtype_name, kf.dtype)
        and fnmatchcase(case.sample_name, kf.sample)
    )


def validate_known_failures(be: Backend, db: Iterable[OpInfo]) -> list[str]:
    """Problems with the backend's declarations: unknown op/family/dtype names, no reason."""
    names = {info.name for info in db} | {"-"}
    problems = []
    for kf in be.known_failures:
        where = f"KnownFailure(op={kf.op!r}, family={kf.family!r})"
        if not kf.reason.strip():
            problems.append(f"{where} has no reason")
        if not any(fnmatchcase(n, kf.op) for n in names):
            problems.append(f"{where}: no op matches {kf.op!r}")
        if not any(fnmatchcase(f, kf.family) for f in FAMILIES):
            problems.append(
                f"{where}: no family matches {kf.family!r}; families: " + ", ".join(FAMILIES)
            )
        if not any(fnmatchcase(d.name, kf.dtype) for d in D.ALL_DTYPES):
            problems.append(f"{where}: no dtype matches {kf.dtype!r}")
    for tol in be.tolerances:
        if not tol.reason.strip():
            problems.append(f"Tolerance(op={tol.op!r}, dtype={tol.dtype!r}) has no reason")
    return problems


@dataclass
class Tolerances:
    """Resolves the tolerance of a comparison: the loosest of the core default, the op's
    override and the backend's declaration, recording which backend declarations were used."""

    backend: Backend
    used: dict[tuple[str, str], Tol] = field(default_factory=dict)

    def get(self, info: OpInfo | None, dtype: D.dtype, grad: bool = False) -> Tol:
        table = GRAD_PARITY if grad else FORWARD
        tol = table.get(dtype, FORWARD[D.float64])
        if info is not None:
            own = (info.grad_tolerances if grad else info.tolerances).get(dtype)
            if own is not None:
                tol = tol.loosest(own)
        name = info.name if info is not None else "-"
        for decl in self.backend.tolerances:
            if fnmatchcase(name, decl.op) and fnmatchcase(dtype.name, decl.dtype):
                declared = Tol(decl.rtol, decl.atol, decl.reason)
                tol = tol.loosest(declared)
                self.used[(decl.op, decl.dtype)] = declared
        return tol
