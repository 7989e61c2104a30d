"""Every sample of the op database against PyTorch, in float64: the op and each of its other
spellings (methods, operators, reflected and in-place forms) give the values, dtypes, shapes,
``requires_grad``, node names and input gradients that PyTorch gives; where PyTorch raises,
tensorplug raises the same exception type. Samples of ±0, ±inf and NaN (group ``special``) are
compared forward only, as in the conformance kit: a gradient there is a convention, not math.
The kit's NumPy references are held to PyTorch too.

The cases come from the database (``core/tensorplug/testing/_opdb_*.py``): an entry's
``torch_ref`` says how PyTorch spells the op and which other spellings to check, next to its
samples, so a sample added there is checked here too. Gradients are also checked against
finite differences, on every backend, by the conformance kit (``gradcheck``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import reduce
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug.testing import op_db
from tensorplug.testing._compare import Tol
from tensorplug.testing._opinfo import NoGrad, OpInfo, SampleInput, TorchRef, Variant

torch = pytest.importorskip("torch", reason="PyTorch is the oracle here (nox installs it)")

VALUES = Tol(1e-10, 1e-12)
GRADIENTS = Tol(1e-9, 1e-10)


@dataclass(frozen=True)
class Case:
    """One sample of one op, called as the op itself or as one of its variants."""

    info: OpInfo
    ref: TorchRef
    sample: SampleInput
    variant: Variant | None = None

    @property
    def name(self) -> str:
        """``sample`` or ``variant:sample``, as ``TorchRef``'s declarations name cases."""
        spelling = f"{self.variant.name}:" if self.variant is not None else ""
        return spelling + self.sample.name

    @property
    def id(self) -> str:
        return f"{self.info.name}-{self.name}"

    def why(self, declared: tuple[tuple[str, str], ...]) -> str | None:
        """The reason declared for this case, if any."""
        return next((why for pat, why in declared if fnmatchcase(self.name, pat)), None)


def _cases() -> Iterator[Case]:
    for info in op_db:
        ref = info.torch_ref
        if ref is None:
            continue
        for s in info.sample_inputs():
            yield Case(info, ref, s)
            for v in ref.variants:
                if v.accepts(s):
                    yield Case(info, ref, s, v)


def _param(case: Case) -> Any:
    differs = case.why(case.ref.known_differences)
    marks = [pytest.mark.xfail(reason=differs, strict=True)] if differs else []
    return pytest.param(case, id=case.id, marks=marks)


CASES = [_param(c) for c in _cases()]


def test_every_entry_names_its_pytorch_spelling() -> None:
    """So that no op of the database escapes this comparison."""
    missing = [info.name for info in op_db if info.torch_ref is None]
    assert not missing, f"op-database entries without a torch_ref: {missing}"


def test_every_declaration_names_a_case() -> None:
    """A declared difference that matches no case is stale (a renamed sample or variant)."""
    cases = list(_cases())
    for info in op_db:
        ref = info.torch_ref
        assert ref is not None
        names = [c.name for c in cases if c.info is info]
        for pattern, why in (*ref.other_nodes, *ref.known_differences):
            assert why.strip(), f"{info.name}: {pattern!r} has no reason"
            assert any(fnmatchcase(n, pattern) for n in names), f"{info.name}: {pattern!r}"


def _torch_fn(ref: TorchRef) -> Callable[..., Any]:
    if callable(ref.fn):
        return ref.fn
    fn: Callable[..., Any] = reduce(getattr, ref.fn.split("."), torch)
    return fn


def _torch_args(
    sample: SampleInput,
) -> tuple[tuple[Any, ...], dict[str, Any], list[Any]]:
    """The sample's arguments as torch tensors, and the ones that require grad, in the order
    ``SampleInput.bind`` makes tensorplug's (float64 data requires grad; ``NoGrad`` data and
    integer or bool arrays do not)."""
    leaves: list[Any] = []

    def conv(a: Any) -> Any:
        if isinstance(a, NoGrad):
            return torch.tensor(a.array)
        if isinstance(a, np.ndarray):
            t = torch.tensor(a)
            if a.dtype == np.float64:
                t.requires_grad_()
                leaves.append(t)
            return t
        if isinstance(a, tp.dtype):
            return getattr(torch, a.name)
        if isinstance(a, list):
            return [conv(x) for x in a]
        if isinstance(a, tuple):
            return tuple(conv(x) for x in a)
        return a

    args = tuple(conv(a) for a in sample.args)
    kwargs = {k: conv(v) for k, v in sample.kwargs.items()}
    return args, kwargs, leaves


def _outputs(out: Any) -> list[Any]:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _host(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy(force=True))  # force: a ZeroTensor gradient (sgn's)


def _dtype_name(t: Any) -> str:
    return str(t.dtype).split(".")[-1]


def _node_name(t: Any) -> str | None:
    """``grad_fn.name()`` without the C++ namespace PyTorch gives some of its nodes
    (``torch::autograd::CopySlices``)."""
    return None if t.grad_fn is None else t.grad_fn.name().rsplit("::", 1)[-1]


def _compare(what: str, got: np.ndarray, want: np.ndarray, tol: Tol) -> None:
    if want.dtype.kind in "biu":
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        np.testing.assert_allclose(
            got, want, rtol=tol.rtol, atol=tol.atol, equal_nan=True, err_msg=what
        )


@pytest.mark.parametrize("case", CASES)
def test_matches_pytorch(case: Case) -> None:
    """Values, dtypes, shapes, ``requires_grad``, node names and every input's gradient."""
    bound = case.sample.bind(tp.get_backend("numpy"), tp.float64, requires_grad=True)
    targs, tkwargs, tleaves = _torch_args(case.sample)
    call = case.variant.call if case.variant is not None else None
    try:
        want = (call or _torch_fn(case.ref))(*targs, **tkwargs)
    except Exception as e:  # noqa: BLE001 - whatever PyTorch raises, tensorplug must raise
        with pytest.raises(type(e)):
            bound.call(call or case.info.op)
        return
    got = bound.call(call or case.info.op)
    t_outs, p_outs = _outputs(want), _outputs(got)
    assert len(p_outs) == len(t_outs), f"{len(p_outs)} outputs, PyTorch gives {len(t_outs)}"
    for i, field in enumerate(getattr(type(want), "__match_args__", ())):  # .values, .indices
        assert getattr(got, field) is p_outs[i], f"output {i} is not .{field}"
    other_nodes = case.why(case.ref.other_nodes)
    if other_nodes is not None:
        pairs = [(_node_name(p), _node_name(t)) for p, t in zip(p_outs, t_outs)]
        assert any(ours != theirs for ours, theirs in pairs), f"PyTorch's nodes: {other_nodes!r}"
    for i, (p, t) in enumerate(zip(p_outs, t_outs)):
        what = f"output {i}"
        assert isinstance(p, tp.Tensor), f"{what} is a {type(p).__name__}"
        assert p.shape == tuple(t.shape), f"{what}: shape {p.shape}, PyTorch {tuple(t.shape)}"
        assert p.dtype.name == _dtype_name(t), f"{what}: {p.dtype.name}, PyTorch {t.dtype}"
        _compare(what, _host(p), _host(t), case.ref.tolerance or VALUES)
        assert p.requires_grad == t.requires_grad, f"{what}: requires_grad {p.requires_grad}"
        if other_nodes is None:
            names = [_node_name(p), _node_name(t)]
            assert names[0] == names[1], f"{what}: node {names[0]}, PyTorch {names[1]}"
    if case.sample.group != "special":
        _check_gradients(case, bound, p_outs, t_outs, tleaves)


def _check_gradients(
    case: Case, bound: Any, p_outs: list[Any], t_outs: list[Any], tleaves: list[Any]
) -> None:
    pleaves = [t for t, diff in zip(bound.tensors, bound.differentiable) if diff]
    assert len(pleaves) == len(tleaves)
    pairs = [(p, t) for p, t in zip(p_outs, t_outs) if t.requires_grad]
    if not pairs or not tleaves:
        return
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    weights = [rng.standard_normal(tuple(t.shape)) for _, t in pairs]
    t_loss = sum((t * torch.tensor(w)).sum() for (_, t), w in zip(pairs, weights))
    p_loss = sum((p * tp.tensor(w)).sum() for (p, _), w in zip(pairs, weights))
    t_grads = torch.autograd.grad(t_loss, tleaves, allow_unused=True)
    p_grads = tp.autograd.grad(p_loss, pleaves, allow_unused=True)
    for i, (p, t) in enumerate(zip(p_grads, t_grads)):
        what = f"gradient of input {i}"
        if p is None or t is None:  # no gradient: the same as zeros
            assert p is None or not np.any(_host(p)), f"{what}: PyTorch has none"
            assert t is None or not np.any(_host(t)), f"{what} is None, PyTorch's is not 0"
            continue
        assert p.dtype is tp.float64 and p.shape == tuple(t.shape), what
        _compare(what, _host(p), _host(t), case.ref.tolerance or GRADIENTS)


REFERENCED = [
    pytest.param(c, id=c.id)
    for c in _cases()
    if c.variant is None and c.info.ref is not None and c.sample.group != "special"
]


@pytest.mark.parametrize("case", REFERENCED)
def test_numpy_reference_matches_pytorch(case: Case) -> None:
    """The conformance kit's float64 NumPy reference, which every backend is held to."""
    assert case.info.ref is not None
    targs, tkwargs, _ = _torch_args(case.sample)
    with torch.no_grad():
        want = _outputs(_torch_fn(case.ref)(*targs, **tkwargs))
    args, kwargs = case.sample.host_args(tp.float64)
    with np.errstate(all="ignore"):
        got = _outputs(case.info.ref(*args, **kwargs))
    assert len(got) == len(want)
    for i, (g, w) in enumerate(zip(got, want)):
        _compare(f"output {i}", np.asarray(g, dtype=_host(w).dtype), _host(w), VALUES)
