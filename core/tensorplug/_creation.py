"""Creation functions. Each takes ``dtype``, ``device``/``backend`` and ``requires_grad``."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

from . import _dtype as D
from . import _generator as G
from ._backend import Backend
from ._generator import manual_seed as manual_seed
from ._plugins import REGISTRY, on_device, resolve
from ._tensor import Tensor


def _finish(data: Any, be: Backend, requires_grad: bool) -> Tensor:
    t = Tensor._make(data, be)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size: Sequence[Any]) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        shape = tuple(int(s) for s in size)
    except TypeError:
        raise TypeError(f"size must be ints or a sequence of ints, got {tuple(size)!r}") from None
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def _dt(dtype: Any, default: D.dtype | None = None) -> D.dtype:
    return D.as_dtype(dtype) if dtype is not None else (default or D.get_default_dtype())


def _infer_dtype(data: Any) -> D.dtype:
    """The dtype PyTorch infers for nested data: each element's dtype (a Python float is the
    default float, an int int64, a NumPy scalar or array or a tensor its own), promoted."""
    result: D.dtype | None = None
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        if isinstance(x, Tensor):
            d = x.dtype
        elif hasattr(x, "dtype"):  # before float: NumPy's float64 subclasses float
            d = D.as_dtype(x.dtype)
        elif isinstance(x, bool):
            d = D.bool_
        elif isinstance(x, int):
            d = D.int64
        elif isinstance(x, float):
            d = D.get_default_dtype()
        else:
            raise TypeError(f"tensor(): could not infer dtype of {type(x).__name__}")
        if d is not result:
            result = d if result is None else D.promote_types(result, d)
    return D.get_default_dtype() if result is None else result


def _ragged(data: Any) -> str | None:
    """Describe the first ragged level of nested lists, as PyTorch's error does."""

    def shape_at(x: Any, depth: int) -> str | None:
        if not isinstance(x, (list, tuple)) or not x:
            return None
        lens = {len(e) if isinstance(e, (list, tuple)) else -1 for e in x}
        if len(lens) > 1:
            first = len(x[0]) if isinstance(x[0], (list, tuple)) else 0
            bad = next(e for e in x if (len(e) if isinstance(e, (list, tuple)) else 0) != first)
            got = len(bad) if isinstance(bad, (list, tuple)) else 0
            return f"expected sequence of length {first} at dim {depth + 1} (got {got})"
        for e in x:
            r = shape_at(e, depth + 1)
            if r:
                return r
        return None

    return shape_at(data, 0)


# Specs (by name) whose backend failed to load: not probed again on every call; a spec that is
# registered anew under the same name gets asked again.
_unusable: dict[str, Any] = {}


def _resolve_for(data: Any, backend: Any, device: Any) -> Backend:
    """The backend for ``data`` when neither ``backend`` nor ``device`` names one: the
    selected backend, unless ``data`` is a native array that another backend's ``array_types``
    claim more specifically (a CuPy array; a backend's subclass of NumPy's array). A NumPy
    array given while another CPU backend is selected stays host data that the selected
    backend converts."""
    be = resolve(backend, device)
    if (
        backend is not None
        or device is not None
        or type(data) in be.array_types
        or not hasattr(data, "shape")
        or isinstance(data, Tensor)
    ):
        return be  # the common cases, decided without looking at other backends
    np = sys.modules.get("numpy")
    if np is not None and isinstance(data, np.generic):
        return be  # a NumPy scalar is a host value
    mro = type(data).__mro__

    def rank(b: Backend) -> int:
        """How specifically ``b`` claims ``data``: 0 for its exact type, ``len(mro)`` never."""
        return min((mro.index(t) for t in b.array_types if t in mro), default=len(mro))

    best = min((be, *REGISTRY.loaded.values()), key=rank)
    if rank(best):  # no loaded backend claims this exact type: load the others to ask them
        for name, spec in sorted(REGISTRY.specs.items()):
            if name in REGISTRY.loaded or _unusable.get(name) is spec:
                continue
            try:
                other = REGISTRY.get(name)
            except (RuntimeError, TypeError):
                _unusable[name] = spec
                continue
            if rank(other) < rank(best):
                best = other
    if rank(be) == len(mro) and best.device_type == be.device_type:
        return be  # foreign host data (a NumPy array for a CPU backend): converted
    # The instance for the array's own device (a CuPy array on GPU 1: cuda:1), so a copy
    # stays where the array is, as ``torch.tensor`` keeps a CUDA tensor's device.
    return best if best is be else on_device(best, best.device(data))


def tensor(
    data: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    *,
    backend: Any = None,
) -> Tensor:
    """A new tensor holding a copy of ``data`` (numbers, nested lists, arrays, tensors).

    Example:
        >>> import tensorplug as tp
        >>> tp.tensor([[1., 2.], [3., 4.]])
        tensor([[1., 2.],
                [3., 4.]])
    """
    be = _resolve_for(data, backend, device)
    if isinstance(data, Tensor):
        src = data.detach()
        if src._backend is not be:
            src = src.to(be.name)
        out = src.to(_dt(dtype, data.dtype))
        out = Tensor._make(be.k.copy(out._data) if out._data is data._data else out._data, be)
        return _finish(out._data, be, requires_grad)
    d = D.as_dtype(dtype) if dtype is not None else _infer_dtype(data)
    native = be.native_dtype(d, "tensor")
    del native
    if isinstance(data, (list, tuple)):
        msg = _ragged(data)
        if msg:
            raise ValueError(msg)
        data = [x.tolist() if isinstance(x, Tensor) else x for x in data]
    try:
        arr = be.k.from_host(data, d)
    except (ValueError, TypeError, OverflowError) as e:
        raise type(e)(
            f"tensor(): could not convert {type(data).__name__} to a {d.name} tensor: {e}"
        ) from e
    return _finish(arr, be, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None, *, backend: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with ``data`` when it already fits (no copy)."""
    if isinstance(data, Tensor) and dtype is None and device is None and backend is None:
        return data
    be = _resolve_for(data, backend, device)
    if be.array_types and isinstance(data, be.array_types):
        t = Tensor._make(data, be)
        return t if dtype is None or t.dtype is D.as_dtype(dtype) else t.to(D.as_dtype(dtype))
    return tensor(data, dtype, device, backend=backend if device is not None else be)


def from_numpy(ndarray: Any) -> Tensor:
    """A CPU tensor sharing memory with a NumPy array (on the NumPy backend)."""
    if type(ndarray).__module__ != "numpy":
        raise TypeError(f"from_numpy(): expected np.ndarray (got {type(ndarray).__name__})")
    return as_tensor(ndarray, backend="numpy")


def _factory(
    shape: tuple[int, ...],
    value: Any,
    dtype: D.dtype,
    device: Any,
    backend: Any,
    requires_grad: bool,
    op: str,
) -> Tensor:
    be = resolve(backend, device)
    be.native_dtype(dtype, op)
    return _finish(be.k.full(shape, value, dtype), be, requires_grad)


def zeros(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """A tensor of zeros of the given size."""
    return _factory(_size(size), 0, _dt(dtype), device, backend, requires_grad, "zeros")


def ones(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """A tensor of ones of the given size.

    Example:
        >>> import tensorplug as tp
        >>> tp.ones(2, 2, requires_grad=True)
        tensor([[1., 1.],
                [1., 1.]], requires_grad=True)
    """
    return _factory(_size(size), 1, _dt(dtype), device, backend, requires_grad, "ones")


def empty(
    *size: Any,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """An uninitialised tensor (zero-filled here: deterministic and just as fast on NumPy)."""
    return _factory(_size(size), 0, _dt(dtype), device, backend, requires_grad, "empty")


def full(
    size: Sequence[int],
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """A tensor filled with ``fill_value``; the dtype follows the value unless given."""
    d = _dt(dtype, D.scalar_dtype(fill_value))
    return _factory(
        _size((size,) if isinstance(size, int) else tuple(size)),
        fill_value,
        d,
        device,
        backend,
        requires_grad,
        "full",
    )


def _like(input: Tensor, dtype: Any, device: Any, backend: Any) -> tuple[D.dtype, Any, Any]:
    if backend is None and device is None:
        backend = input._backend
    return _dt(dtype, input.dtype), device, backend


def zeros_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    d, device, backend = _like(input, dtype, device, backend)
    return _factory(input.shape, 0, d, device, backend, requires_grad, "zeros_like")


def ones_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    d, device, backend = _like(input, dtype, device, backend)
    return _factory(input.shape, 1, d, device, backend, requires_grad, "ones_like")


def empty_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    d, device, backend = _like(input, dtype, device, backend)
    return _factory(input.shape, 0, d, device, backend, requires_grad, "empty_like")


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    d, device, backend = _like(input, dtype, device, backend)
    return _factory(input.shape, fill_value, d, device, backend, requires_grad, "full_like")


def arange(
    start: float,
    end: float | None = None,
    step: float = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 if all are ints."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError(
            f"arange(): upper bound and larger bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    ints = all(isinstance(v, int) for v in (start, end, step))
    d = _dt(dtype, D.int64 if ints else None)
    be = resolve(backend, device)
    be.native_dtype(d, "arange")
    n = max(math.ceil((end - start) / step), 0)
    arr = be.k.arange(start, start + n * step, step, d)
    if arr.shape[0] != n:  # float rounding in the backend's arange
        arr = be.k.getitem(arr, slice(0, n))
    return _finish(arr, be, requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    d = _dt(dtype)
    be = resolve(backend, device)
    be.native_dtype(d, "linspace")
    return _finish(be.k.linspace(start, end, steps, d), be, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """The ``n x m`` identity matrix."""
    d = _dt(dtype)
    be = resolve(backend, device)
    be.native_dtype(d, "eye")
    return _finish(be.k.eye(n, n if m is None else m, d), be, requires_grad)


def _random(
    kernel: str,
    size: Any,
    dtype: Any,
    device: Any,
    backend: Any,
    requires_grad: bool,
    generator: Any = None,
) -> Tensor:
    d = _dt(dtype)
    if not d.is_floating_point:
        raise RuntimeError(f"{kernel}: expected a floating dtype, got {d.name}")
    be = resolve(backend, device)
    be.native_dtype(d, kernel)
    draw = G.uniform if kernel == "rand" else G.normal
    return _finish(draw(be, _size(size), d, generator, kernel), be, requires_grad)


def rand(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """Uniform samples on ``[0, 1)``; reproducible after ``manual_seed``."""
    return _random("rand", size, dtype, device, backend, requires_grad, generator)


def randn(
    *size: Any,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    backend: Any = None,
) -> Tensor:
    """Standard normal samples; reproducible after ``manual_seed``."""
    return _random("randn", size, dtype, device, backend, requires_grad, generator)


def randint(
    low: int,
    high: int | None = None,
    size: Sequence[int] = (),
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    backend: Any = None,
) -> Tensor:
    """Integers uniformly from ``[low, high)`` (``randint(high, size)`` also works)."""
    if high is None or (isinstance(high, (tuple, list))):
        low, high, size = 0, low, (high if high is not None else size)  # type: ignore[assignment]
    if high <= low:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    d = _dt(dtype, D.int64)
    be = resolve(backend, device)
    be.native_dtype(d, "randint")
    arr = G.integers(be, low, high, _size(tuple(size)), d, generator, "randint")
    return _finish(arr, be, False)


def randn_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return randn(
        input.shape, dtype=dtype or input.dtype, backend=input._backend, requires_grad=requires_grad
    )


def rand_like(input: Tensor, *, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return rand(
        input.shape, dtype=dtype or input.dtype, backend=input._backend, requires_grad=requires_grad
    )


def randint_like(input: Tensor, low: int, high: int | None = None, *, dtype: Any = None) -> Tensor:
    return randint(low, high, input.shape, dtype=dtype or input.dtype, backend=input._backend)
