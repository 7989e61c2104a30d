"""``tensorplug.cuda`` through the ``tensorplug_device_api`` hook: any GPU backend, not only
CuPy. The backends here are NumPy's kernels declaring ``device_type="cuda"``; the CuPy plugin's
own answers are tested on its stand-in (``tests/backends/test_cupy_backend.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import tensorplug as tp
from tensorplug._plugins import REGISTRY
from tensorplug.plugins import Backend, BackendSpec, DeviceAPI, hookimpl


class _GpuPlugin:
    """Backend ``othergpu``: two fake CUDA devices, one ``Backend`` instance each."""

    def __init__(self, api: DeviceAPI | str | None) -> None:
        self.api = api
        self.probe: tuple[bool, str] = (True, "")
        self.events: list[tuple[str, int, Any]] = []
        self.instances: dict[int, Backend] = {}

    def _instance(self, index: int) -> Backend:
        if index not in self.instances:
            numpy = tp.get_backend("numpy")
            self.instances[index] = Backend(
                name="othergpu",
                kernels=numpy.kernels,
                dtypes=numpy.dtypes,
                device_type="cuda",
                synchronize=lambda: self.events.append(("synchronize", index, None)),
                manual_seed=lambda s: self.events.append(("seed", index, s)),
            )
        return self.instances[index]

    @hookimpl
    def tensorplug_backends(self) -> list[BackendSpec]:
        return [
            BackendSpec(
                name="othergpu",
                load=lambda: self._instance(0),
                device_type="cuda",
                on_device=self._instance,
                probe=lambda: self.probe,
            )
        ]

    @hookimpl
    def tensorplug_device_api(self, backend_name: str) -> Any:
        return self.api if backend_name == "othergpu" else None


@pytest.fixture
def gpu_plugin(request: pytest.FixtureRequest) -> Iterator[_GpuPlugin]:
    """``othergpu`` registered and selected, so ``device="cuda"`` and ``tp.cuda`` mean it
    (whatever CuPy says on this machine)."""
    plugin = _GpuPlugin(request.param)
    assert tp.plugins.register(plugin, source="tests") == ["othergpu"]
    tp.set_backend("othergpu")
    try:
        yield plugin
    finally:
        tp.set_backend(None)
        tp.plugins.unregister_backend("othergpu")


_MEMORY = {0: 100, 1: 300}
_API = DeviceAPI(
    device_count=lambda: 2,
    device_name=lambda i: f"Other GPU #{i}",
    memory_allocated=lambda i: _MEMORY[i],
    max_memory_allocated=lambda i: 2 * _MEMORY[i],
    memory_reserved=lambda i: 4 * _MEMORY[i],
)


@pytest.mark.parametrize("gpu_plugin", [_API], indirect=True)
def test_tp_cuda_reports_another_gpu_backend(gpu_plugin: _GpuPlugin) -> None:
    assert tp.cuda.is_available() and tp.cuda.unavailable_reason() == ""
    assert tp.cuda.device_count() == 2
    assert tp.cuda.get_device_name("cuda:1") == "Other GPU #1"
    assert tp.cuda.memory_allocated() == 100 and tp.cuda.memory_allocated(1) == 300
    assert tp.cuda.max_memory_allocated("cuda:1") == 600
    assert tp.cuda.memory_reserved(0) == 400
    assert tp.zeros(2, device="cuda:1")._backend is gpu_plugin.instances[1]
    tp.cuda.synchronize("cuda:1")
    tp.cuda.manual_seed(5)
    assert gpu_plugin.events == [("synchronize", 1, None), ("seed", 0, 5), ("seed", 1, 5)]
    with pytest.raises(tp.UnsupportedOperation, match="'othergpu' does not report empty_cache"):
        tp.cuda.empty_cache()
    with pytest.raises(tp.UnsupportedOperation, match="reset_peak_memory_stats"):
        tp.cuda.reset_peak_memory_stats()


@pytest.mark.parametrize("gpu_plugin", [None], indirect=True)
def test_a_gpu_backend_without_a_device_api_still_has_one_device(gpu_plugin: _GpuPlugin) -> None:
    assert tp.cuda.is_available() and tp.cuda.device_count() == 1
    tp.cuda.synchronize()
    assert gpu_plugin.events == [("synchronize", 0, None)]
    with pytest.raises(tp.UnsupportedOperation, match="does not report memory_allocated"):
        tp.cuda.memory_allocated()


@pytest.mark.parametrize("gpu_plugin", ["not a DeviceAPI"], indirect=True)
def test_a_wrong_answer_is_refused(gpu_plugin: _GpuPlugin) -> None:
    with pytest.raises(TypeError, match=r"returned str, expected tensorplug\.plugins\.DeviceAPI"):
        tp.cuda.device_count()


@pytest.mark.parametrize("gpu_plugin", [_API], indirect=True)
def test_an_unavailable_gpu_backend_is_never_asked(
    gpu_plugin: _GpuPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    gpu_plugin.probe = (False, "no othergpu device here")
    asked: list[str] = []
    monkeypatch.setattr(REGISTRY, "device_api", lambda name: asked.append(name))
    assert not tp.cuda.is_available()
    assert tp.cuda.unavailable_reason() == "no othergpu device here"
    assert tp.cuda.device_count() == 0 and tp.cuda.memory_allocated() == 0
    tp.cuda.manual_seed(1)
    tp.cuda.empty_cache()
    with pytest.raises(tp.BackendUnavailableError, match="CUDA is unavailable: no othergpu"):
        tp.cuda.synchronize()
    assert asked == []


def test_without_a_cuda_backend_the_reason_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    REGISTRY.manager()
    for name, spec in list(REGISTRY.specs.items()):
        if spec.device_type == "cuda":
            monkeypatch.delitem(REGISTRY.specs, name)
    monkeypatch.setattr(REGISTRY, "broken", {"gpuplug": "ImportError: no module named gpuplug"})
    assert not tp.cuda.is_available() and tp.cuda.device_count() == 0
    assert tp.cuda.unavailable_reason() == (
        "no installed backend provides 'cuda' devices (broken plugins: gpuplug: ImportError: "
        "no module named gpuplug)"
    )
