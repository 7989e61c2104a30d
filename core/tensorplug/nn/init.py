"""``nn.init``: fill parameters in place with PyTorch's initialisation schemes.

Every function draws from the tensor's backend generator (reproducible after
``tensorplug.manual_seed``) or from the ``generator`` given, runs under ``no_grad`` and
returns the tensor it filled.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from .. import _functional_write as fw
from .._creation import rand, randn
from .._generator import Generator
from .._grad_mode import no_grad
from .._ops_special import erfinv
from .._tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "trunc_normal_", "orthogonal_", "sparse_", "dirac_",
]  # fmt: skip


def _fill(tensor: Tensor, values: Tensor) -> Tensor:
    with no_grad():
        fw.assign(tensor, values._data)
        tensor._vc.version += 1
    return tensor


def _check(tensor: Any, op: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{op}: expected a Tensor, got {type(tensor).__name__}")
    if not tensor.is_floating_point():
        raise TypeError(f"nn.init.{op}: expected a floating tensor, got {tensor.dtype.name}")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended scale for ``nonlinearity`` (``relu``: sqrt(2), ``tanh``: 5/3, ...)."""
    linear = (
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    )
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _fans(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)``: dim 1 and dim 0 times the receptive field (dims 2...)."""
    if tensor.ndim < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {list(tensor.shape)})"
        )
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _fans(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with samples from U(a, b)."""
    _check(tensor, "uniform_")
    u = rand(*tensor.shape, generator=generator, dtype=tensor.dtype, backend=tensor._backend)
    return _fill(tensor, u * (b - a) + a)


def normal_(
    tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """Fill with samples from N(mean, std**2)."""
    _check(tensor, "normal_")
    z = randn(*tensor.shape, generator=generator, dtype=tensor.dtype, backend=tensor._backend)
    return _fill(tensor, z * std + mean)


def constant_(tensor: Tensor, val: float) -> Tensor:
    _check(tensor, "constant_")
    with no_grad():
        fw.assign(tensor, tensor._backend.k.full((), val, tensor.dtype))
        tensor._vc.version += 1
    return tensor


def zeros_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    return constant_(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix."""
    _check(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.eye_: only 2-D tensors are supported, got {tensor.ndim}-D")
    k = tensor._backend.k
    with no_grad():
        fw.assign(tensor, k.eye(tensor.shape[0], tensor.shape[1], tensor.dtype))
        tensor._vc.version += 1
    return tensor


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta: each of the first
    ``min(out / groups, in)`` output channels of each group passes its input channel through
    (a 1 at the kernel's centre), so the convolution starts as the identity.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.init.dirac_(tp.empty(2, 2, 3))[:, :, 1]
        tensor([[1., 0.],
                [0., 1.]])
    """
    if not isinstance(tensor, Tensor) or tensor.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    values = [0.0] * math.prod(sizes)
    strides = [math.prod(sizes[i + 1 :]) for i in range(len(sizes))]
    centre = sum(s // 2 * st for s, st in zip(sizes[2:], strides[2:]))
    for g in range(groups):
        for d in range(min(per_group, sizes[1])):
            values[(g * per_group + d) * strides[0] + d * strides[1] + centre] = 1.0
    k = tensor._backend.k
    with no_grad():
        fw.assign(tensor, k.reshape(k.from_host(values, tensor.dtype), sizes))
        tensor._vc.version += 1
    return tensor


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: Generator | None = None
) -> Tensor:
    """U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio, 2010)."""
    fan_in, fan_out = _fans(tensor)
    bound = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """U(-b, b) with ``b = gain * sqrt(3 / fan)`` (He et al., 2015). ``Linear`` and ``Conv2d``
    use ``a=sqrt(5)``, which gives ``b = 1 / sqrt(fan_in)``."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Generator | None = None,
) -> Tensor:
    """N(0, std**2) with ``std = gain / sqrt(fan)``."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: Generator | None = None,
) -> Tensor:
    """N(mean, std**2) truncated to [a, b], by the inverse CDF of a uniform draw between
    the bounds' CDF values (PyTorch's method); needs the ``erfinv`` kernel."""
    _check(tensor, "trunc_normal_")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn(
            "mean is more than 2 std from [a, b] in nn.init.trunc_normal_. "
            "The distribution of values may be incorrect.",
            stacklevel=2,
        )

    def cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    lo, hi = 2 * cdf((a - mean) / std) - 1, 2 * cdf((b - mean) / std) - 1
    u = rand(*tensor.shape, generator=generator, dtype=tensor.dtype, backend=tensor._backend)
    with no_grad():
        values = erfinv(u * (hi - lo) + lo) * (std * math.sqrt(2.0)) + mean
        return _fill(tensor, values.clamp(a, b))


def orthogonal_(tensor: Tensor, gain: float = 1.0, generator: Generator | None = None) -> Tensor:
    """A (semi-)orthogonal matrix (Saxe et al., 2013): the ``Q`` of a Gaussian matrix's QR,
    its columns' signs fixed by ``R``'s diagonal so it is uniformly distributed, times
    ``gain``; dims past the first are flattened. Needs the ``linalg_qr`` kernel."""
    _check(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    from .. import linalg

    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with no_grad():
        flat = randn(rows, cols, generator=generator, dtype=tensor.dtype,
                     backend=tensor._backend)  # fmt: skip
        q, r = linalg.qr(flat.t() if rows < cols else flat)
        q = q * r.diagonal(0, -2, -1).sign()
        q = q.t() if rows < cols else q
        return _fill(tensor, q.reshape(tuple(tensor.shape)) * gain)


def sparse_(
    tensor: Tensor, sparsity: float, std: float = 0.01, generator: Generator | None = None
) -> Tensor:
    """N(0, std**2) with ``ceil(sparsity * rows)`` zeros at random rows of each column
    (Martens, 2010)."""
    _check(tensor, "sparse_")
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    from .._sampling import randperm

    rows, cols = tensor.shape
    num_zeros = math.ceil(sparsity * rows)
    normal_(tensor, 0.0, std, generator)
    with no_grad():
        for col in range(cols):
            zero_rows = randperm(rows, generator=generator, backend=tensor._backend)[:num_zeros]
            tensor[zero_rows, col] = 0.0
    return tensor
