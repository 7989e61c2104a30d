"""Functions of square matrices, and the cross product: ``tp.linalg``'s ``inv``, ``solve``,
``cholesky``, ``det``, ``slogdet`` and ``cross``, each one node with its backward beside it.

Every input is a matrix or a batch of matrices in the last two dims (real dtypes, float32 and
float64; PyTorch refuses integers and float16 here too). The kernels are optional
(``_contract.OptionalOps``: ``linalg_inv``, ``linalg_solve``, ``linalg_cholesky``,
``linalg_slogdet``); a backend without one raises ``UnsupportedOperation`` naming it. The
backwards use only these kernels and products, so ``create_graph=True`` records them again
(double backward).
"""

from __future__ import annotations

from typing import Any

from . import _dtype as D
from . import return_types as R
from ._backend import UnsupportedOperation
from ._contract import Array, KernelOps
from ._dispatch import broadcast_shape, nary, unary

__all__ = [
    "LinAlgError", "cholesky", "cross", "det", "inv", "logdet", "slogdet", "solve",
    "torch_slogdet",
]  # fmt: skip
from ._graph import OUT, Node
from ._tensor import Tensor, _dim


class LinAlgError(RuntimeError):
    """A matrix the function is not defined for: singular (``inv``, ``solve``) or not
    positive-definite (``cholesky``); PyTorch's ``torch.linalg.LinAlgError``."""


_FAILURE = {
    "linalg_inv": "the input matrix is singular",
    "linalg_solve": "the input matrix A is singular",
    "linalg_cholesky": "the input is not positive-definite",
}


def _factor(k: Any, kernel: str, op: str, *arrays: Any) -> Any:
    """``k.<kernel>(*arrays)``, a numerical failure of the library raised as ``LinAlgError``
    (shapes and dtypes were checked before, so that is what any other error means)."""
    fn = getattr(k, kernel)
    try:
        return fn(*arrays)
    except Exception as e:
        why = _FAILURE[kernel]
        err = LinAlgError(f"{op}: The factorization could not be completed because {why} ({e})")
        err._tp_op = True  # type: ignore[attr-defined]  # op_error passes it on as it is
        raise err from e


def _mT(ops: KernelOps, x: Array) -> Array:  # noqa: N802 - PyTorch's name
    n = len(x.shape)
    return ops.permute(x, tuple(range(n - 2)) + (n - 1, n - 2))


def _matrix_scale(ops: KernelOps, g: Array) -> Array:
    """A batch of numbers (shape ``batch``) as ``batch + (1, 1)``, to scale matrices."""
    return ops.reshape(g, tuple(g.shape) + (1, 1))


# fmt: off
class LinalgInvExBackward0(Node):
    """``Y = A^-1``: grad A = -Y^T g Y^T."""
    op, float_only, save = "linalg.inv", True, (OUT,)

    @staticmethod
    def forward(k: Any, a: Any) -> Any:
        return _factor(k, "linalg_inv", "linalg.inv", a)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, y: Array) -> tuple[Array]:
        yt = _mT(ops, y)
        return (ops.neg(ops.matmul(ops.matmul(yt, g), yt)),)


class LinalgSolveExBackward0(Node):
    """``X = A^-1 B`` (``B`` a batch of matrices, or of vectors: ``vector``): grad B =
    A^-T g, grad A = -(grad B) X^T, each summed over the batch dims it was broadcast along."""
    op, float_only, save = "linalg.solve", True, (0, OUT)
    saved_for = ((0, 1), (0,))  # A for both gradients, X for A's

    @staticmethod
    def forward(k: Any, a: Any, b: Any, vector: bool) -> Any:
        if not vector:
            return _factor(k, "linalg_solve", "linalg.solve", a, b)
        x = _factor(k, "linalg_solve", "linalg.solve", a, k.reshape(b, tuple(b.shape) + (1,)))
        return k.reshape(x, tuple(x.shape)[:-1])

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, a: Array, x: Array
    ) -> tuple[Array | None, Array | None]:
        (vector,) = ctx.args
        sa, sb = ctx.shapes
        if vector:
            g = ops.reshape(g, tuple(g.shape) + (1,))
            x = ops.reshape(x, tuple(x.shape) + (1,))
        gb = ops.linalg_solve(_mT(ops, a), g)
        na, nb = ctx.needs_input_grad
        ga = ops.sum_to(ops.neg(ops.matmul(gb, _mT(ops, x))), sa) if na else None
        if not nb:
            return ga, None
        if vector:
            gb = ops.reshape(gb, tuple(gb.shape)[:-1])
        return ga, ops.sum_to(gb, sb)


class LinalgCholeskyExBackward0(Node):
    """``A = L L^T`` (``upper``: ``U = L^T``). With ``P = tril(L^T gL)``, its diagonal halved:
    grad A = sym(L^-T P L^-1), where ``sym(M) = (M + M^T) / 2``."""
    op, float_only, save = "linalg.cholesky", True, (OUT,)

    @staticmethod
    def forward(k: Any, a: Any, upper: bool) -> Any:
        low = _factor(k, "linalg_cholesky", "linalg.cholesky", a)
        return _mT(k, low) if upper else low

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, out: Array) -> tuple[Array]:
        (upper,) = ctx.args
        low, gl = (_mT(ops, out), _mT(ops, g)) if upper else (out, g)
        n = low.shape[-1]
        rows, cols = ops.iota(n, (n, 1), low), ops.iota(n, (1, n), low)
        phi = ops.matmul(_mT(ops, low), gl)
        half_diagonal = ops.where(ops.eq(rows, cols), ops.mul(phi, 0.5), 0)
        phi = ops.where(ops.gt(rows, cols), phi, half_diagonal)
        inv = ops.linalg_inv(low)
        s = ops.matmul(ops.matmul(_mT(ops, inv), phi), inv)
        return (ops.mul(ops.add(s, _mT(ops, s)), 0.5),)


class LinalgDetBackward0(Node):
    """``det(A)``: grad A = g det(A) A^-T (invertible ``A``)."""
    op, float_only, save = "linalg.det", True, (0, OUT)

    @staticmethod
    def forward(k: Any, a: Any) -> Any:
        sign, logabs = k.linalg_slogdet(a)
        return k.mul(sign, k.exp(logabs))

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array, det: Array) -> tuple[Array]:
        scale = _matrix_scale(ops, ops.mul(g, det))
        return (ops.mul(scale, _mT(ops, ops.linalg_inv(a))),)


class LinalgSlogdetBackward0(Node):
    """``log|det(A)|``: grad A = g A^-T."""
    op, float_only, save = "linalg.slogdet", True, (0,)

    @staticmethod
    def forward(k: Any, a: Any) -> Any:
        return k.linalg_slogdet(a)[1]

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array) -> tuple[Array]:
        return (ops.mul(_matrix_scale(ops, g), _mT(ops, ops.linalg_inv(a))),)


class SlogdetSign(Node):
    """``sign(det A)``, the other output of PyTorch's one slogdet node (named as it): a
    constant of A, so its gradient is 0."""
    op, float_only, save = "linalg.slogdet", True, (0,)

    @staticmethod
    def forward(k: Any, a: Any) -> Any:
        return k.linalg_slogdet(a)[0]

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, a: Array) -> tuple[Array]:
        return (ops.mul(ops.sign(a), 0.0),)


SlogdetSign.__name__ = SlogdetSign.__qualname__ = "LinalgSlogdetBackward0"


class LinalgCrossBackward0(Node):
    """``a x b`` along ``dim`` (size 3): grad a = b x g, grad b = g x a."""
    op, float_only, save = "linalg.cross", False, (0, 1)
    saved_for = ((1,), (0,))

    @staticmethod
    def forward(k: Any, a: Any, b: Any, dim: int) -> Any:
        return _cross(k, a, b, dim)

    @staticmethod
    def backward(
        ctx: Node, ops: KernelOps, g: Array, a: Array, b: Array
    ) -> tuple[Array | None, Array | None]:
        (dim,) = ctx.args
        sa, sb = ctx.shapes
        na, nb = ctx.needs_input_grad
        return (ops.sum_to(_cross(ops, b, g, dim), sa) if na else None,
                ops.sum_to(_cross(ops, g, a, dim), sb) if nb else None)
# fmt: on


def _cross(k: Any, a: Any, b: Any, dim: int) -> Any:
    """``a x b`` along ``dim`` with kernels (or tensor ops): three slices of each operand."""
    shape = tuple(broadcast_shape(a.shape, b.shape))
    pre = (slice(None),) * (dim if dim >= 0 else len(shape) + dim)

    def part(x: Any, i: int) -> Any:
        return k.getitem(x, (*pre, slice(i, i + 1)))

    a0, a1, a2 = (part(a, i) for i in range(3))
    b0, b1, b2 = (part(b, i) for i in range(3))
    out = (
        k.sub(k.mul(a1, b2), k.mul(a2, b1)),
        k.sub(k.mul(a2, b0), k.mul(a0, b2)),
        k.sub(k.mul(a0, b1), k.mul(a1, b0)),
    )
    return k.concat(out, dim)


# -- functions ----------------------------------------------------------------------------


_NEEDS = {
    "inv": ("linalg_inv",),
    "solve": ("linalg_solve",),
    "cholesky": ("linalg_cholesky", "linalg_inv"),
    "det": ("linalg_slogdet", "linalg_inv"),
    "slogdet": ("linalg_slogdet", "linalg_inv"),
    "eigvalsh": ("linalg_eigh",),
    "eigh": ("linalg_eigh",),
    "svdvals": ("linalg_svd",),
    "svd": ("linalg_svd",),
    "qr": ("linalg_qr", "linalg_solve"),
    "pinv": ("linalg_svd",),
    "lstsq": ("linalg_svd",),
}
"""The optional kernels each function needs, forward and backward: checked before it runs."""


def _square(fn: str, A: Any, what: str = "A", square: bool = True) -> None:  # noqa: N803
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg.{fn}(): argument '{what}' must be Tensor, not {type(A).__name__}")
    be = A._backend
    missing = [k for k in _NEEDS[fn] if not be.has_kernel(k)]
    if missing:
        raise UnsupportedOperation(
            f"linalg.{fn}: backend '{be.name}' has no {' or '.join(missing)} kernel (optional "
            "kernels of the contract; an Array-API library gets them with its linalg extension)"
        )
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{fn}: The input tensor {what} must have at least 2 dimensions.")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(
            f"linalg.{fn}: {what} must be batches of square matrices, but they are "
            f"{A.shape[-2]} by {A.shape[-1]} matrices"
        )
    if not A.dtype.is_floating_point:
        raise RuntimeError(
            f"linalg.{fn}: Expected a floating point tensor as input. Got {A.dtype.name}"
        )
    if A.dtype is D.float16:
        raise RuntimeError(f"linalg.{fn}: Low precision dtypes not supported. Got Half")


def inv(A: Tensor) -> Tensor:  # noqa: N803
    """The inverse of a square matrix (or of each in a batch); raises for singular ones."""
    _square("inv", A)
    return unary(LinalgInvExBackward0, A)


def solve(A: Tensor, B: Tensor, *, left: bool = True) -> Tensor:  # noqa: N803
    """``X`` with ``A X = B`` (``left=False``: ``X A = B``). ``B`` is a batch of vectors
    where it has one dim, or one dim fewer than ``A`` with ``A``'s leading shape."""
    _square("solve", A)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve(): argument 'B' must be Tensor, not {type(B).__name__}")
    if not left:
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    rows = B.shape[-1] if vector else B.shape[-2] if B.ndim >= 2 else -1
    if rows != A.shape[-1]:
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
            f"({A.shape[-2]}x{A.shape[-1]} and {'x'.join(map(str, B.shape[-2:]))})"
        )
    if B.dtype is not A.dtype:
        raise RuntimeError(
            f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{A.dtype.name} and B of type {B.dtype.name} instead"
        )
    return nary(LinalgSolveExBackward0, (A, B), vector)


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:  # noqa: N803
    """``L`` (lower triangular) with ``A = L L^T`` for a symmetric positive-definite ``A``;
    ``upper=True``: ``U = L^T``. Raises where ``A`` is not positive-definite."""
    _square("cholesky", A)
    return unary(LinalgCholeskyExBackward0, A, upper)


def det(A: Tensor) -> Tensor:  # noqa: N803
    """The determinant of a square matrix (or of each in a batch)."""
    _square("det", A)
    return unary(LinalgDetBackward0, A)


def slogdet(A: Tensor) -> R.linalg_slogdet:  # noqa: N803
    """``(sign, log|det A|)``: the determinant without overflow; only ``logabsdet`` has a
    gradient."""
    _square("slogdet", A)
    return R.linalg_slogdet((unary(SlogdetSign, A), unary(LinalgSlogdetBackward0, A)))


def torch_slogdet(input: Tensor) -> R.slogdet:
    """``tp.slogdet``/``Tensor.slogdet``: ``linalg.slogdet`` as PyTorch's ``slogdet`` tuple."""
    return R.slogdet(slogdet(input))


def logdet(A: Tensor) -> Tensor:  # noqa: N803
    """``log(det A)``: NaN where the determinant is negative, -inf where it is zero."""
    sign, logabs = slogdet(A)
    from ._ops_pointwise import where

    return where(sign < 0, float("nan"), logabs)


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along ``dim`` (the operands broadcast)."""
    for name, x in (("input", input), ("other", other)):
        if not isinstance(x, Tensor):
            raise TypeError(f"linalg.cross(): argument '{name}' must be Tensor")
    if input.ndim != other.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions, got "
            f"{input.ndim} and {other.ndim}"
        )
    d = _dim(dim, input.ndim, "linalg.cross")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got "
            f"{input.shape[d]} and {other.shape[d]}"
        )
    return nary(LinalgCrossBackward0, (input, other), d)
