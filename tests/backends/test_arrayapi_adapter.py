"""The Array API adapter (backends/tensorplug_arrayapi): a backend from a declaration, its
probe, its laziness, and PyTorch's and array-api-strict's backends built through it."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import tensorplug as tp
from tensorplug_arrayapi import Library, backend_spec, build_backend, probe
from tensorplug_arrayapi.torch_plugin import TORCH_CUDA, TORCH_MPS, _forward_steps


def test_importing_the_plugins_imports_no_array_library() -> None:
    code = (
        "import sys, tensorplug, tensorplug_arrayapi.torch_plugin as t,"
        " tensorplug_arrayapi.strict_plugin as s\n"
        "t.tensorplug_backends(); s.tensorplug_backends()\n"
        "print(sorted({'torch', 'jax', 'dask', 'array_api_strict', 'array_api_compat'}"
        " & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_probe_names_what_to_install() -> None:
    lib = Library(name="nolib", module="no_such_library.xp", distribution="no-such", extra="x")
    assert probe(lib) == (False, 'no-such is not installed; pip install "tensorplug[x]"')
    assert backend_spec(lib).probe() == probe(lib)  # type: ignore[misc]


def test_gpu_kinds_say_why_they_are_unavailable_here() -> None:
    for lib in (TORCH_CUDA, TORCH_MPS):
        ok, why = probe(lib)
        if not ok:
            needs = ("NVIDIA", "CUDA", "MPS", "array-api-compat is not installed")
            assert why and any(n in why for n in needs), why


def test_a_library_becomes_a_backend_from_its_declaration() -> None:
    pytest.importorskip("array_api_strict")
    pytest.importorskip("array_api_compat")
    lib = Library(name="strict_again", module="array_api_strict", distribution="array-api-strict")
    be = build_backend(lib)
    assert be.name == "strict_again" and be.mutable and tp.float16 not in be.dtypes
    x = tp.tensor([1.0, -2.0, 3.0], backend=be, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad is not None and x.grad.tolist() == [2.0, -4.0, 6.0]


@pytest.mark.parametrize(
    ("idx", "expected"),
    [
        (slice(None, None, -1), ((slice(0, 5, 1),), [0])),
        ((0, slice(3, 0, -2)), ((0, slice(1, 4, 2)), [0])),
        ((None, Ellipsis, slice(None, None, -1)), ((None, Ellipsis, slice(0, 4, 1)), [2])),
        ((slice(2, 2, -1),), ((slice(0, 0),), [0])),
        ((0, 1), ((0, 1), [])),
    ],
)
def test_negative_steps_become_flips(idx: object, expected: object) -> None:
    assert _forward_steps(idx, (5, 4) if idx != slice(None, None, -1) else (5,)) == expected


@pytest.fixture
def torch_backend() -> tp.plugins.Backend:
    pytest.importorskip("torch")
    pytest.importorskip("array_api_compat")
    return tp.plugins.REGISTRY.get("torch")


def test_torch_tensors_are_the_arrays(torch_backend: tp.plugins.Backend) -> None:
    import torch

    x = tp.arange(6.0, backend="torch").reshape(2, 3)
    assert isinstance(x._data, torch.Tensor) and x.device == "cpu"
    assert x[:, ::-1].tolist() == [[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]
    v = x[0]
    v.fill_(7.0)  # a view: the write reaches the base
    assert x.tolist() == [[7.0, 7.0, 7.0], [3.0, 4.0, 5.0]]
    assert isinstance(x.numpy(), np.ndarray)


def test_torch_scatter_add_accumulates_repeated_indices(torch_backend: tp.plugins.Backend) -> None:
    k = torch_backend.k
    base = k.full((3, 4), 0, tp.float32)
    dst = k.permute(base, (1, 0))  # not contiguous
    k.scatter_add(dst, (k.from_host([0, 0, 3], tp.int64),), k.full((3, 3), 1, tp.float32))
    assert np.asarray(k.to_host(dst))[:, 0].tolist() == [2.0, 0.0, 0.0, 1.0]


def test_the_same_seed_gives_numpy_backends_numbers(torch_backend: tp.plugins.Backend) -> None:
    tp.manual_seed(3)
    a = tp.randn(4, backend="torch").tolist()
    tp.manual_seed(3)
    assert tp.randn(4, backend="numpy").tolist() == a


def test_torch_is_selected_by_name_and_environment(torch_backend: tp.plugins.Backend) -> None:
    code = "import tensorplug as tp; print(type(tp.ones(2)._data).__module__)"
    env = {**os.environ, "TENSORPLUG_BACKEND": "torch"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "torch"
    with tp.use_backend("torch"):
        assert type(tp.zeros(2, device="cpu")._data).__module__ == "torch"


def test_dask_computes_nothing_until_a_host_boundary() -> None:
    pytest.importorskip("dask")
    pytest.importorskip("array_api_compat")
    import dask

    computed: list[int] = []

    def counting(dsk: object, keys: object, **kwargs: object) -> object:
        computed.append(1)
        return dask.get(dsk, keys, **kwargs)  # type: ignore[attr-defined]

    with dask.config.set(scheduler=counting):
        w = tp.randn(64, 32, backend="dask", requires_grad=True)
        x = tp.randn(16, 64, backend="dask")
        loss = tp.nn.functional.mse_loss((x @ w).tanh(), tp.zeros(16, 32, backend="dask"))
        loss.backward()
        with tp.no_grad():
            w -= 0.1 * w.grad
        assert computed == []  # a forward, a backward and an update: a graph, no values
        assert isinstance(loss.item(), float) and len(computed) == 1
        repr(w)
        assert len(computed) == 2


def test_a_device_kind_goes_to_the_selected_librarys_backend_first(
    torch_backend: tp.plugins.Backend,
) -> None:
    """``torch`` selected, ``device="cuda"`` asked: ``torch_cuda`` is tried before CuPy."""
    if probe(TORCH_CUDA)[0]:
        with tp.use_backend("torch"):
            assert tp.zeros(2, device="cuda")._backend.name == "torch_cuda"
        return
    with tp.use_backend("torch"), pytest.raises(tp.BackendUnavailableError) as e:
        tp.zeros(2, device="cuda")
    assert str(e.value).startswith("backend 'torch_cuda' is unavailable")
