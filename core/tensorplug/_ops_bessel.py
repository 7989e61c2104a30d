"""The modified Bessel functions of the first kind: ``i0`` (``tp.i0``, ``special.i0``),
``special.i0e``, ``special.i1`` and ``special.i1e`` (``e``: scaled by ``exp(-|x|)``).

Each forward is Cephes' pair of Chebyshev expansions (the coefficients PyTorch's kernels use:
``[0, 8]`` in ``x / 2 - 2`` and ``(8, inf)`` in ``32 / x - 2``), composed of primitive
kernels only, so a backward evaluates the other functions with the same formulas on ``ops``
(recorded under ``create_graph=True``: double backward works).
"""

# Composed of tensorplug's public ops and of Tensor methods bound at import (_methods),
# which the checker sees as Any:
# mypy: disable-error-code="no-any-return, attr-defined, arg-type"

from __future__ import annotations

from typing import Any

from ._contract import Array, KernelOps
from ._dispatch import unary
from ._elementwise import tensor_arg
from ._graph import OUT, Node
from ._tensor import Tensor

# Cephes' coefficients (3-clause BSD, as in PyTorch's ATen/native/Math.h), highest first.
_I0E_A = (
    -4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
    1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
    -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
    9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-9,
    -1.30002500998624804212e-8, 6.04699502254191894932e-8, -2.67079385394061173391e-7,
    1.11738753912010371815e-6, -4.41673835845875056359e-6, 1.64484480707288970893e-5,
    -5.75419501008210370398e-5, 1.88502885095841655729e-4, -5.76375574538582365885e-4,
    1.63947561694133579842e-3, -4.32430999505057594430e-3, 1.05464603945949983183e-2,
    -2.37374148058994688156e-2, 4.93052842396707084878e-2, -9.49010970480476444210e-2,
    1.71620901522208775349e-1, -3.04682672343198398683e-1, 6.76795274409476084995e-1,
)  # fmt: skip
_I0E_B = (
    -7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
    3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
    1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
    -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
    7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
    -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
    3.39623202570838634515e-9, 2.26666899049817806459e-8, 2.04891858946906374183e-7,
    2.89137052083475648297e-6, 6.88975834691682398426e-5, 3.36911647825569408990e-3,
    8.04490411014108831608e-1,
)  # fmt: skip
_I1E_A = (
    2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
    -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
    3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
    -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
    9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7,
    -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
    4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4,
    -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
    2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1,
    -1.76416518357834055153e-1, 2.52587186443633654823e-1,
)  # fmt: skip
_I1E_B = (
    7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
    -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
    -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
    4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
    -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
    3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
    -3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7,
    -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
    7.78576235018280120474e-1,
)  # fmt: skip


def _chbevl(k: Any, y: Array, coeffs: tuple[float, ...]) -> Array:
    """Clenshaw's recurrence for a Chebyshev series at ``y`` (Cephes' ``chbevl``)."""
    b0: Any = coeffs[0]
    b1: Any = 0.0
    b2: Any = 0.0
    for c in coeffs[1:]:
        b2, b1 = b1, b0
        b0 = k.add(k.sub(k.mul(y, b1), b2), c)
    return k.mul(k.sub(b0, b2), 0.5)


def _scaled(k: Any, x: Array, a: tuple[float, ...], b: tuple[float, ...], times_x: bool) -> Array:
    """``exp(-|x|) I(|x|)`` from the two expansions (``times_x``: the ``[0, 8]`` one is of
    ``I(x) / x``, as for ``I1``)."""
    ax = k.abs(x)
    small = k.le(ax, 8.0)
    near = _chbevl(k, k.sub(k.mul(ax, 0.5), 2.0), a)
    if times_x:
        near = k.mul(near, ax)
    big = k.where(small, 8.0, ax)  # the far expansion only where it is used (no 1/0)
    far = k.div(_chbevl(k, k.sub(k.div(32.0, big), 2.0), b), k.sqrt(big))
    return k.where(small, near, far)


def i0e(k: Any, x: Array) -> Array:
    return _scaled(k, x, _I0E_A, _I0E_B, False)


def i1e(k: Any, x: Array) -> Array:
    out = _scaled(k, x, _I1E_A, _I1E_B, True)
    return k.where(k.lt(x, 0), k.neg(out), out)


def i0(k: Any, x: Array) -> Array:
    return k.mul(k.exp(k.abs(x)), i0e(k, x))


def i1(k: Any, x: Array) -> Array:
    return k.mul(k.exp(k.abs(x)), i1e(k, x))


# fmt: off
class I0Backward0(Node):
    """``I0(x)``: grad = g * I1(x)."""
    elementwise, float_only = True, True
    op, save = "i0", (0,)
    forward = staticmethod(i0)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array) -> tuple[Array]:
        return (ops.mul(g, i1(ops, x)),)


class SpecialI0EBackward0(Node):
    """``exp(-|x|) I0(x)``: grad = g * (i1e(x) - sign(x) * out)."""
    elementwise, float_only = True, True
    op, save = "special_i0e", (0, OUT)
    forward = staticmethod(i0e)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        return (ops.mul(g, ops.sub(i1e(ops, x), ops.mul(ops.sign(x), out))),)


def _over_x(ops: KernelOps, v: Array, x: Array) -> Array:
    """``v / x``, 0 where ``x`` is 0 (``I1(x) / x`` there is replaced by its limit apart)."""
    zero = ops.eq(x, 0)
    return ops.where(zero, 0.0, ops.div(v, ops.where(zero, 1.0, x)))


class SpecialI1Backward0(Node):
    """``I1(x)``: grad = g * (I0(x) - I1(x) / x) (``g / 2`` at 0)."""
    elementwise, float_only = True, True
    op, save = "special_i1", (0, OUT)
    forward = staticmethod(i1)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        d = ops.sub(i0(ops, x), _over_x(ops, out, x))
        return (ops.mul(g, ops.where(ops.eq(x, 0), 0.5, d)),)


class SpecialI1EBackward0(Node):
    """``exp(-|x|) I1(x)``: grad = g * (i0e(x) - out * (sign(x) + 1 / x)) (``g / 2`` at 0)."""
    elementwise, float_only = True, True
    op, save = "special_i1e", (0, OUT)
    forward = staticmethod(i1e)

    @staticmethod
    def backward(ctx: Node, ops: KernelOps, g: Array, x: Array, out: Array) -> tuple[Array]:
        d = ops.sub(ops.sub(i0e(ops, x), ops.mul(out, ops.sign(x))), _over_x(ops, out, x))
        return (ops.mul(g, ops.where(ops.eq(x, 0), 0.5, d)),)
# fmt: on


def _bessel(cls: type[Node], input: Any) -> Tensor:
    return unary(cls, tensor_arg(cls, input))


def bessel_i0(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 0, ``I0``.

    >>> import tensorplug as tp
    >>> round(tp.i0(tp.tensor([1.0], dtype=tp.float64)).item(), 6)
    1.266066
    """
    return _bessel(I0Backward0, input)


def special_i0e(input: Tensor) -> Tensor:
    """``exp(-|input|) * i0(input)``: ``I0`` without its exponential growth."""
    return _bessel(SpecialI0EBackward0, input)


def special_i1(input: Tensor) -> Tensor:
    """The modified Bessel function of the first kind of order 1, ``I1``."""
    return _bessel(SpecialI1Backward0, input)


def special_i1e(input: Tensor) -> Tensor:
    """``exp(-|input|) * i1(input)``."""
    return _bessel(SpecialI1EBackward0, input)
