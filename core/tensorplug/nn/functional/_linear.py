"""The linear (affine) map of ``nn.Linear``."""

from __future__ import annotations

from ..._linalg import addmm, matmul
from ..._ops_shape import _reshape
from ..._tensor import Tensor

__all__ = ["bilinear", "linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``; one ``AddmmBackward0`` node for a batch of vectors, as in
    PyTorch, which also folds the leading dims of an n-d input into one first (one matrix
    product each way, not one per leading index, and the weight's gradient without a sum)."""
    if input.ndim > 2 and weight.ndim == 2 and (bias is None or bias.ndim == 1):
        # shapes known to fit: ``_reshape`` without ``reshape``'s parsing and inference
        lead, n = input.shape[:-1], input.shape[-1]
        rows = 1
        for s in lead:
            rows *= s
        flat = linear(_reshape(input, (rows, n), False), weight, bias)
        return _reshape(flat, (*lead, weight.shape[0]), False)
    if bias is not None and input.ndim == 2 and weight.ndim == 2 and bias.ndim <= 2:
        return addmm(bias, input, weight.t())
    out = matmul(input, weight.t() if weight.ndim == 2 else weight)
    return out if bias is None else out + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]``.

    Composed of ``einsum`` (so its gradients and double backward come from those ops).

    Example:
        >>> import tensorplug as tp
        >>> F = tp.nn.functional
        >>> F.bilinear(tp.ones(5, 2), tp.ones(5, 3), tp.ones(4, 2, 3)).shape
        (5, 4)
    """
    from ..._einsum import einsum

    def check(ok: bool, msg: str) -> None:
        if not ok:
            raise RuntimeError(f"bilinear(): {msg}")

    check(
        input1.ndim == input2.ndim,
        f"input dimensions do not match: got {input1.ndim} and {input2.ndim}",
    )
    for i, (a, b) in enumerate(zip(input1.shape[:-1], input2.shape[:-1], strict=True)):
        check(a == b, f"input batch dimensions do not match at dim {i}: got {a} and {b}")
    check(weight.ndim == 3, f"weight must be a 3-D tensor, got {weight.ndim}-D")
    for name, x, want in (("input1", input1, weight.shape[1]), ("input2", input2, weight.shape[2])):
        got = x.shape[-1] if x.ndim else 1
        check(got == want, f"{name} size does not match weight size: got {got} but expected {want}")
    if bias is not None:
        got = bias.shape[0] if bias.ndim else 1
        check(
            got == weight.shape[0],
            f"bias size does not match weight size: got {got} but expected {weight.shape[0]}",
        )
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias
