"""Convolutions: ``conv1d``/``conv2d`` and their transposes, one node (``ConvolutionBackward0``,
PyTorch's) computed as matrix products with the sliding windows of ``_windows``.

A convolution is ``weight @ im2col(input)`` per group; its transpose is ``col2im(weight^T @
input)``. Each is the other's input gradient, so the node's backward calls the other's
forward (and its weight gradient is one more product with the windows), all on whichever
kernel namespace it is given: a second derivative comes from the same code. The node keeps
only the input and the weight, not the windows (PyTorch's convolution keeps the same).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..._contract import Array, KernelOps
from ..._dispatch import nary
from ..._graph import Node
from ..._tensor import Tensor
from ._windows import Geometry, col2im, im2col, ntuple, sliding

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]


class ConvSpec(NamedTuple):
    """A convolution's windows (``geom``: over the input, or over the output when
    ``transposed``), its ``groups``, and whether a bias is the node's third input.

    ``flipped``: for a stride-1 transposed convolution, the windows over its (smaller)
    input over which it is the plain correlation with the weight flipped (``_flip``): an
    ``im2col`` copy of the input instead of ``col2im``'s additions into the larger output.
    A plain convolution's input gradient keeps ``col2im`` (its in-place additions are
    cheaper than the ``im2col`` of the output gradient, which has more channels;
    docs/performance.md).
    """

    geom: Geometry
    groups: int
    transposed: bool
    bias: bool
    flipped: Geometry | None = None


def _correlate(
    ops: KernelOps, x: Array, w: Array, g: Geometry, groups: int, cols: Array | None = None
) -> Array:
    """``(N, C, *g.size)`` with weight ``(O, C / groups, *kernel)`` -> ``(N, O, *g.out)``
    (``cols``: ``im2col`` of ``x``, when the caller has it)."""
    n, o = x.shape[0], w.shape[0]
    cols = im2col(ops, x, g) if cols is None else cols  # (N, C * taps, L)
    if groups == 1:
        out = ops.matmul(ops.reshape(w, (o, cols.shape[1])), cols)
    else:
        per = cols.shape[1] // groups
        cols = ops.reshape(cols, (n, groups, per, g.windows))
        out = ops.matmul(ops.reshape(w, (groups, o // groups, per)), cols)
    return ops.reshape(out, (n, o, *g.out))


def _correlate_t(ops: KernelOps, x: Array, w: Array, g: Geometry, groups: int) -> Array:
    """The adjoint of ``_correlate`` in its input: ``(N, C, *g.out)`` with weight
    ``(C, O / groups, *kernel)`` -> ``(N, O, *g.size)``."""
    n, c = x.shape[0], x.shape[1]
    per = w.shape[1] * g.taps  # (O / groups) * taps
    wt = ops.permute(ops.reshape(w, (groups, c // groups, per)), (0, 2, 1))
    cols = ops.matmul(wt, ops.reshape(x, (n, groups, c // groups, g.windows)))
    return col2im(ops, ops.reshape(cols, (n, groups * per, g.windows)), g)


def _weight_grad(
    ops: KernelOps, a: Array, cols: Array, g: Geometry, groups: int, shape: tuple[int, ...]
) -> Array:
    """``sum_n a[n] @ cols[n]^T`` per group: the weight's gradient, ``a`` being the small side
    (``(N, A, *g.out)``) and ``cols`` the ``im2col`` of the large one (``(N, B, *g.size)``)."""
    n, ca = a.shape[0], a.shape[1]
    per = cols.shape[1] // groups
    cols = ops.permute(ops.reshape(cols, (n, groups, per, g.windows)), (0, 1, 3, 2))
    prod = ops.matmul(ops.reshape(a, (n, groups, ca // groups, g.windows)), cols)
    return ops.reshape(ops.sum(prod, (0,), False), shape)


def _flip(ops: KernelOps, w: Array, groups: int) -> Array:
    """``(G * a, b, *kernel)`` -> ``(G * b, a, *kernel)``: each group's two channel dims
    swapped and the kernel reversed in every spatial dim (its own inverse): the weight of
    the plain convolution that is a stride-1 transposed one."""
    a, b, kernel = w.shape[0] // groups, w.shape[1], tuple(w.shape[2:])
    spatial = tuple(range(3, 3 + len(kernel)))
    w = ops.permute(ops.reshape(w, (groups, a, b, *kernel)), (0, 2, 1, *spatial))
    w = ops.reshape(w, (groups * b, a, *kernel))
    return ops.getitem(w, (slice(None), slice(None), *(slice(None, None, -1) for _ in kernel)))


def _adjoint(ops: KernelOps, a: Array, w: Array, spec: ConvSpec) -> Array:
    """``_correlate_t`` of ``a`` over ``spec.geom``: a transposed convolution's forward, a
    convolution's input gradient; as the plain correlation with the flipped weight over
    ``spec.flipped`` where it has one."""
    if spec.flipped is not None:
        return _correlate(ops, a, _flip(ops, w, spec.groups), spec.flipped, spec.groups)
    return _correlate_t(ops, a, w, spec.geom, spec.groups)


def _add_bias(ops: KernelOps, out: Array, b: Array) -> Array:
    return ops.add(out, ops.reshape(b, (1, b.shape[0]) + (1,) * (len(out.shape) - 2)))


# fmt: off
class ConvolutionBackward0(Node):
    """``out[n, o] = sum_c weight[o, c] (*) input[n, c] + bias[o]`` per group (``(*)``:
    cross-correlation over ``spec.geom``'s windows), or its transpose. grad input = the
    other one applied to g with the same weight; grad weight = sum over the batch of g times
    the windows of the input (of g, when transposed); grad bias = g summed over all but dim 1.
    """
    op, save, promote = "convolution", (0, 1), False
    saved_for = ((1,), (0,))

    @staticmethod
    def forward(k: Any, x: Any, w: Any, *rest: Any) -> Any:
        spec: ConvSpec = rest[-1]
        if spec.transposed:
            out = _adjoint(k, x, w, spec)
        else:
            out = _correlate(k, x, w, spec.geom, spec.groups)
        return _add_bias(k, out, rest[0]) if spec.bias else out

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, x: Array, w: Array
    ) -> tuple[Array | None, ...]:
        spec: ConvSpec = ctx.args[0]
        if spec.transposed and spec.flipped is not None:
            return _flipped_backward(ctx, ops, g, x, w, spec, spec.flipped)
        geom, groups = spec.geom, spec.groups
        need = ctx.needs_input_grad
        gx = gw = None
        # The windows of the larger side (g, when transposed: both gradients use them).
        cols = im2col(ops, g if spec.transposed else x, geom) if need[1] else None
        if need[0]:
            if spec.transposed:
                gx = _correlate(ops, g, w, geom, groups, cols)
            else:
                gx = _adjoint(ops, g, w, spec)
        if need[1]:
            assert cols is not None
            gw = _weight_grad(ops, x if spec.transposed else g, cols, geom, groups, ctx.shapes[1])
        if not spec.bias:
            return gx, gw
        return gx, gw, _bias_grad(ops, g) if need[2] else None
# fmt: on


def _bias_grad(ops: KernelOps, g: Array) -> Array:
    return ops.sum(g, (0, *range(2, len(g.shape))), False)


def _flipped_backward(
    ctx: Node, ops: KernelOps, g: Array, x: Array, w: Array, spec: ConvSpec, geom: Geometry
) -> tuple[Array | None, ...]:
    """``ConvolutionBackward0``'s gradients for a transposed convolution computed as the
    plain one with the flipped weight: the plain one's gradients, the weight's flipped back
    (the windows of its input, twice, and ``col2im``: measured faster than the windows of g,
    which have more channels, shared by both gradients)."""
    need, groups = ctx.needs_input_grad, spec.groups
    gx = _correlate_t(ops, g, _flip(ops, w, groups), geom, groups) if need[0] else None
    gw = None
    if need[1]:
        flipped_shape = (w.shape[1] * groups, w.shape[0] // groups, *w.shape[2:])
        gw = _weight_grad(ops, g, im2col(ops, x, geom), geom, groups, flipped_shape)
        gw = _flip(ops, gw, groups)
    if not spec.bias:
        return gx, gw
    return gx, gw, _bias_grad(ops, g) if need[2] else None


def _check_operands(
    op: str, input: Tensor, weight: Tensor, bias: Tensor | None, dims: int, groups: int, t: bool
) -> None:
    if input.ndim != dims + 2:
        raise RuntimeError(
            f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {op}, but got "
            f"input of size: {list(input.shape)}"
        )
    if weight.ndim != dims + 2:
        raise RuntimeError(
            f"{op}(): weight must be {dims + 2}-D, got weight of size {list(weight.shape)}"
        )
    if not isinstance(groups, int) or groups <= 0:
        raise RuntimeError(f"{op}(): non-positive groups is not supported, got {groups}")
    if input.dtype is not weight.dtype:
        raise RuntimeError(
            f"expected scalar type {input.dtype.name} but found {weight.dtype.name} (the "
            f"{op} weight)"
        )
    if not input.dtype.is_floating_point and input.requires_grad:
        raise RuntimeError(f"{op}(): only floating-point inputs can require grad")
    wanted = weight.shape[0] if t else weight.shape[1] * groups
    if input.shape[1] != wanted or (not t and weight.shape[0] % groups) or wanted % groups:
        raise RuntimeError(
            f"Given {'transposed=1, ' if t else ''}groups={groups}, weight of size "
            f"{list(weight.shape)}, expected input{list(input.shape)} to have {wanted} "
            f"channels, but got {input.shape[1]} channels instead"
        )
    outs = weight.shape[1] * groups if t else weight.shape[0]
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != outs):
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional "
            f"with {outs} elements, but got bias of size {list(bias.shape)} instead"
        )
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(
            f"Input type ({input.dtype.name}) and bias type ({bias.dtype.name}) should be the same"
        )


def _flipped(op: str, geom: Geometry) -> Geometry | None:
    """``ConvSpec.flipped`` for ``geom``: where the stride is 1 and no padding exceeds the
    kernel's reach, the windows over ``geom.out`` padded by the reach less the padding
    (after: less the padding after, or plus a transposed convolution's ``output_padding``),
    which give ``geom.size`` windows."""
    reach = [d * (k - 1) for d, k in zip(geom.dilation, geom.kernel)]
    if any(s != 1 for s in geom.stride) or any(
        p > r for p, r in zip(geom.pad_lo + geom.pad_hi, reach + reach)
    ):
        return None
    lo = tuple(r - p for r, p in zip(reach, geom.pad_lo))
    hi = tuple(sz - o + p for sz, o, p in zip(geom.size, geom.out, geom.pad_lo))
    return sliding(op, geom.out, geom.kernel, geom.dilation, geom.stride, lo, hi)


def _padding(
    op: str, padding: Any, dims: int, kernel: tuple[int, ...], dilation: tuple[int, ...],
    stride: tuple[int, ...],
) -> tuple[tuple[int, ...], tuple[int, ...]]:  # fmt: skip
    """``padding`` as (before, after) per dim: ints, or ``"valid"``/``"same"`` (stride 1; an
    even kernel puts the extra element after, as PyTorch does)."""
    if not isinstance(padding, str):
        lo = ntuple(padding, dims, "padding", op)
        return lo, lo
    if padding == "valid":
        return (0,) * dims, (0,) * dims
    if padding != "same":
        raise RuntimeError(f"Invalid padding string: {padding!r}")
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    total = [d * (k - 1) for d, k in zip(dilation, kernel)]
    return tuple(t // 2 for t in total), tuple(t - t // 2 for t in total)


def _conv(
    op: str, dims: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
    padding: Any, dilation: Any, groups: int,
) -> Tensor:  # fmt: skip
    unbatched = isinstance(input, Tensor) and input.ndim == dims + 1
    x = input.unsqueeze(0) if unbatched else input
    _check_operands(op, x, weight, bias, dims, groups, False)
    kernel = tuple(weight.shape[2:])
    dil = ntuple(dilation, dims, "dilation", op)
    st = ntuple(stride, dims, "stride", op)
    lo, hi = _padding(op, padding, dims, kernel, dil, st)
    geom = sliding(op, x.shape[2:], kernel, dil, st, lo, hi)
    spec = ConvSpec(geom, groups, False, bias is not None)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    out = nary(ConvolutionBackward0, inputs, spec)
    return out.squeeze(0) if unbatched else out


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation over ``(N, C, L)`` (or ``(C, L)``) with weight ``(O, C / groups,
    k)``, as PyTorch's; ``padding`` may be ``"same"`` or ``"valid"``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.conv1d(tp.ones(1, 2, 5), tp.ones(3, 2, 2)).shape
        (1, 3, 4)
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation over ``(N, C, H, W)`` (or ``(C, H, W)``) with weight ``(O,
    C / groups, kh, kw)``, as PyTorch's; ``padding`` may be ``"same"`` or ``"valid"``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.conv2d(tp.ones(1, 2, 5, 5), tp.ones(3, 2, 3, 3), padding=1).shape
        (1, 3, 5, 5)
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation over ``(N, C, D, H, W)`` (or ``(C, D, H, W)``) with weight ``(O,
    C / groups, kd, kh, kw)``, as PyTorch's; ``padding`` may be ``"same"`` or ``"valid"``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.conv3d(tp.ones(1, 2, 4, 5, 5), tp.ones(3, 2, 3, 3, 3)).shape
        (1, 3, 2, 3, 3)
    """
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(
    op: str, dims: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,
    padding: Any, output_padding: Any, groups: int, dilation: Any,
) -> Tensor:  # fmt: skip
    unbatched = isinstance(input, Tensor) and input.ndim == dims + 1
    x = input.unsqueeze(0) if unbatched else input
    _check_operands(op, x, weight, bias, dims, groups, True)
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    kernel = tuple(weight.shape[2:])
    st = ntuple(stride, dims, "stride", op)
    pad = ntuple(padding, dims, "padding", op)
    dil = ntuple(dilation, dims, "dilation", op)
    extra = ntuple(output_padding, dims, "output_padding", op)
    if any(e >= s and e >= d for e, s, d in zip(extra, st, dil)) or min(extra) < 0:
        raise RuntimeError(
            f"{op}(): output padding must be smaller than either stride or dilation, but got "
            f"output_padding={list(extra)}, stride={list(st)} and dilation={list(dil)}"
        )
    size = tuple(
        (i - 1) * s - 2 * p + d * (k - 1) + e + 1
        for i, s, p, d, k, e in zip(x.shape[2:], st, pad, dil, kernel, extra)
    )
    if min(size) <= 0 or min(st) <= 0 or min(pad) < 0:
        raise RuntimeError(
            f"{op}(): input of size {list(x.shape)} with stride={list(st)} and "
            f"padding={list(pad)} gives an output of size {list(size)}, which is too small"
        )
    geom = Geometry(kernel, dil, st, pad, pad, size, tuple(x.shape[2:]))
    spec = ConvSpec(geom, groups, True, bias is not None, _flipped(op, geom))
    inputs = (x, weight) if bias is None else (x, weight, bias)
    out = nary(ConvolutionBackward0, inputs, spec)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transpose of ``conv1d`` (its gradient in the input) over ``(N, C, L)``, weight
    ``(C, O / groups, k)``: output length ``(L - 1) * stride - 2 * padding + dilation * (k - 1)
    + output_padding + 1``.

    Example:
        >>> import tensorplug as tp
        >>> tp.nn.functional.conv_transpose1d(tp.ones(1, 2, 4), tp.ones(2, 3, 3), stride=2).shape
        (1, 3, 9)
    """
    return _conv_transpose(
        "conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )  # fmt: skip


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transpose of ``conv3d`` (its gradient in the input) over ``(N, C, D, H, W)``,
    weight ``(C, O / groups, kd, kh, kw)``, as PyTorch's."""
    return _conv_transpose(
        "conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )  # fmt: skip


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transpose of ``conv2d`` (its gradient in the input) over ``(N, C, H, W)``, weight
    ``(C, O / groups, kh, kw)`` ("deconvolution"), as PyTorch's.

    Example:
        >>> import tensorplug as tp
        >>> x, w = tp.ones(1, 2, 3, 3), tp.ones(2, 4, 2, 2)
        >>> tp.nn.functional.conv_transpose2d(x, w, stride=2).shape
        (1, 4, 6, 6)
    """
    return _conv_transpose(
        "conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
        dilation,
    )  # fmt: skip
