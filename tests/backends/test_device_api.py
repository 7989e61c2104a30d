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

    def __init__(self, api: DeviceAPI | str | None, device_type: str = "cuda") -> None:
        self.api = api
        self.device_type = device_type
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
                device_type=self.device_type,
                device_of=lambda _array: tp.device(self.device_type, index),
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
                device_type=self.device_type,
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
    param = request.param
    api, device_type = param if isinstance(param, tuple) else (param, "cuda")
    plugin = _GpuPlugin(api, device_type)
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


# -- tensorplug.accelerator: the same hook, whatever the device type ---------------------------


@pytest.mark.parametrize("gpu_plugin", [_API], indirect=True)
def test_tp_accelerator_reports_a_gpu_backend(gpu_plugin: _GpuPlugin) -> None:
    acc = tp.accelerator
    assert acc.is_available() and acc.current_accelerator() == tp.device("cuda")
    assert repr(acc.current_accelerator(check_available=True)) == "device(type='cuda')"
    assert acc.device_count() == 2 and acc.current_device_index() == 0
    assert acc.memory_allocated() == 100 and acc.memory_allocated("cuda:1") == 300
    assert acc.max_memory_allocated(1) == 600 and acc.memory_reserved(0) == 400
    acc.synchronize(1)
    assert gpu_plugin.events == [("synchronize", 1, None)]
    with pytest.raises(tp.UnsupportedOperation, match=r"accelerator: backend 'othergpu'"):
        acc.empty_cache()
    # the usual idiom, and tensors that agree with it
    device = acc.current_accelerator().type if acc.is_available() else "cpu"
    x, y = tp.ones(2, device=device), tp.ones(2, device="cuda:1")
    assert x.device.type == "cuda" and x.is_cuda and not x.is_cpu and x.get_device() == 0
    assert y.device == tp.device("cuda", 1) and y.get_device() == 1


@pytest.mark.parametrize("gpu_plugin", [(_API, "xpu")], indirect=True)
def test_an_accelerator_of_another_device_type_is_not_cuda(gpu_plugin: _GpuPlugin) -> None:
    assert tp.accelerator.is_available() and tp.accelerator.device_count() == 2
    assert tp.accelerator.current_accelerator() == tp.device("xpu")
    x = tp.ones(2, device="xpu:1")
    assert x.device.type == "xpu" and not x.is_cuda and not x.is_cpu and x.get_device() == 1
    if not tp.cuda.is_available():  # CuPy on this machine is not asked about xpu
        assert tp.cuda.device_count() == 0


@pytest.mark.parametrize("gpu_plugin", [_API], indirect=True)
def test_an_accelerator_that_cannot_run_is_still_current_unless_checked(
    gpu_plugin: _GpuPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a CUDA build of PyTorch on a machine without a GPU."""
    for name, spec in list(REGISTRY.specs.items()):
        if spec.device_type != "cpu" and name != "othergpu":
            monkeypatch.delitem(REGISTRY.specs, name)
    gpu_plugin.probe = (False, "no othergpu device here")
    acc = tp.accelerator
    assert not acc.is_available() and acc.device_count() == 0 and acc.memory_allocated() == 0
    assert acc.current_accelerator() == tp.device("cuda")
    assert acc.current_accelerator(check_available=True) is None
    for call in (acc.current_device_index, acc.synchronize):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none"):
            call()
    acc.empty_cache()
    acc.reset_peak_memory_stats()


def test_without_an_accelerator_backend_there_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    REGISTRY.manager()
    for name, spec in list(REGISTRY.specs.items()):
        if spec.device_type != "cpu":
            monkeypatch.delitem(REGISTRY.specs, name)
    assert tp.accelerator.current_accelerator() is None and not tp.accelerator.is_available()
    assert tp.accelerator.device_count() == 0


def test_device_is_made_as_torch_device() -> None:
    assert tp.device is tp.Device and isinstance(tp.ones(1).device, tp.device)
    assert tp.device("cuda:1") == tp.device("cuda", 1) == tp.device(type="cuda", index=1)
    assert tp.device(tp.device("cuda:2")).index == 2 and tp.device("cpu").index is None
    assert repr(tp.device("cuda")) == "device(type='cuda')"
    assert str(tp.device("cuda", 0)) == "cuda:0"
    with pytest.raises(RuntimeError, match="must not include an index"):
        tp.device("cuda:0", 1)
    with pytest.raises(RuntimeError, match="Invalid device string: 'cuda:x'"):
        tp.device("cuda:x")
    with pytest.raises(RuntimeError, match="must not be negative"):
        tp.device("cuda", -1)
