"""PyTorch tensors as a backend's arrays (tensorplug's autograd on top, PyTorch's none):
``torch`` on the CPU, ``torch_cuda`` on NVIDIA GPUs (``cuda:N``), ``torch_mps`` on Apple's."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

from tensorplug.plugins import BackendSpec, hookimpl

from ._adapter import NO_DRIVER, backend_spec, nvidia_driver
from ._library import LOG_NDTR_FLOAT16, Context, Library


def _forward_steps(idx: Any, shape: tuple[int, ...]) -> tuple[Any, list[int]]:
    """A basic index without negative steps (PyTorch has none) and the result's axes to flip
    after it: ``x[3:0:-1]`` is ``flip(x[1:4], 0)``. Other indices pass unchanged."""
    items = idx if isinstance(idx, tuple) else (idx,)
    if not any(isinstance(i, slice) and (i.step or 1) < 0 for i in items):
        return idx, []
    out: list[Any] = []
    flips: list[int] = []
    axis = dim = 0
    for i in items:
        if i is Ellipsis:
            skip = len(shape) - sum(j is not None and j is not Ellipsis for j in items)
            axis, dim = axis + skip, dim + skip
        elif isinstance(i, slice) and (i.step or 1) < 0:
            r = range(*i.indices(shape[axis]))
            i = slice(r[-1], r[0] + 1, -r.step) if r else slice(0, 0)
            flips.append(dim)
        out.append(i)
        axis += i is not None and i is not Ellipsis
        dim += not isinstance(i, int) and i is not Ellipsis
    return tuple(out), flips


_IN_PLACE = {"iadd": "add_", "isub": "sub_", "imul": "mul_", "idiv": "div_", "fill_": "fill_"}


def _in_place(method: str) -> Callable[[Any, Any], None]:
    def kernel(dst: Any, src: Any) -> None:  # the contract's in-place kernels return None
        getattr(dst, method)(src)

    return kernel


def kernels(ctx: Context) -> dict[str, Callable[..., Any]]:
    """Where PyTorch has a faster or an extra kernel than the standard's namespace."""
    torch = ctx.module
    get, put = ctx.kernels["getitem"], ctx.kernels["setitem"]

    def getitem(a: Any, idx: Any) -> Any:
        idx, flips = _forward_steps(idx, a.shape)
        return torch.flip(get(a, idx), flips) if flips else get(a, idx)

    def setitem(a: Any, idx: Any, value: Any) -> None:
        idx, flips = _forward_steps(idx, a.shape)
        if flips:
            value = torch.flip(torch.broadcast_to(torch.as_tensor(value), a[idx].shape), flips)
        put(a, idx, value)

    def reshape_view(a: Any, shape: tuple[int, ...]) -> Any:
        try:
            return a.view(shape)
        except RuntimeError:  # the strides need a copy
            return None

    def assign(dst: Any, src: Any) -> None:
        dst.copy_(torch.as_tensor(src))  # casts, and broadcasts a number

    def scatter_add(dst: Any, idx: Any, src: Any) -> None:
        if isinstance(idx, tuple) and all(
            isinstance(i, slice) and (i.step is None or i.step > 0) for i in idx
        ):  # slices (``col2im``'s windows) never repeat an element: add into the view
            view = dst[idx]
            view += torch.as_tensor(src, dtype=dst.dtype)
            return
        # Every element's flat position, then one ``index_add_`` (repeated ones accumulate).
        flat = torch.arange(dst.numel(), device=dst.device).reshape(dst.shape)[idx]
        src = torch.broadcast_to(torch.as_tensor(src, dtype=dst.dtype), flat.shape)
        work = dst if dst.is_contiguous() else dst.contiguous()
        work.view(-1).index_add_(0, flat.reshape(-1), src.reshape(-1))
        if work is not dst:
            dst.copy_(work)

    return {
        "getitem": getitem,
        "setitem": setitem,
        "reshape_view": reshape_view,
        "argsort": ctx.kernels["_argsort"],
        "scatter_add": scatter_add,
        "copy": lambda a: a.clone(),
        "to_host": lambda a: a.cpu().numpy(),
        **{name: _in_place(method) for name, method in _IN_PLACE.items()},
        "assign": assign,
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
    }


def _cuda(module: str) -> str:
    if not nvidia_driver():
        return NO_DRIVER
    torch = importlib.import_module(module)
    if not torch.cuda.is_available():
        return f"PyTorch {torch.__version__} sees no CUDA device (a CPU-only build?)"
    return ""


def _mps(module: str) -> str:
    if sys.platform != "darwin":
        return "MPS is the GPU of Apple's Macs; this is not macOS"
    torch = importlib.import_module(module)
    return "" if torch.backends.mps.is_available() else "PyTorch sees no MPS device"


TORCH = Library(
    name="torch",
    module="torch",
    distribution="torch",
    extra="torch-backend",
    description="PyTorch tensors on the CPU, under tensorplug's autograd",
    kernels=kernels,
    tolerances=(LOG_NDTR_FLOAT16,),
)
TORCH_CUDA = TORCH.on(
    "cuda",
    "NVIDIA GPUs (cuda:0, cuda:1, ...)",
    device=lambda torch, i: torch.device("cuda", i),
    available=_cuda,
    synchronize=lambda torch: torch.cuda.synchronize,
)
TORCH_MPS = TORCH.on(
    "mps",
    "an Apple GPU (mps)",
    device=lambda torch, i: torch.device("mps", i),
    available=_mps,
    synchronize=lambda torch: torch.mps.synchronize,
)


@hookimpl
def tensorplug_backends() -> list[BackendSpec]:
    return [backend_spec(lib) for lib in (TORCH, TORCH_CUDA, TORCH_MPS)]
