"""The optional elementwise kernels of the rounding, remainder, trigonometric, special-function
and bitwise ops (issue 16), declared apart from ``_contract``'s core list, which includes them
in its table and its ``OPTIONAL`` tier.

None has a default: an op whose kernel the backend lacks raises ``UnsupportedOperation``
naming the op and the backend. ``xp_kernels`` gives every Array-API library all of them
(the special functions through ``_xp_special``, written on the standard's elementwise
functions, and ``fmod`` from ``remainder``), so a backend built on it has them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._contract import Array, Operand


class PointwiseOps(Protocol):
    """Optional elementwise kernels (each may carry ``nd``). Floating inputs unless said;
    the core converts integer inputs of a floating op first."""

    def floor(self, x: Array, /) -> Array:
        """Largest integer not above ``x`` (floating arrays)."""

    def ceil(self, x: Array, /) -> Array:
        """Smallest integer not below ``x`` (floating arrays)."""

    def trunc(self, x: Array, /) -> Array:
        """``x`` rounded toward zero (floating arrays)."""

    def round(self, x: Array, /) -> Array:
        """``x`` rounded to the nearest integer, halves to even (floating arrays)."""

    def tan(self, x: Array, /) -> Array:
        """Tangent."""

    def asin(self, x: Array, /) -> Array:
        """Inverse sine (NaN outside ``[-1, 1]``)."""

    def acos(self, x: Array, /) -> Array:
        """Inverse cosine (NaN outside ``[-1, 1]``)."""

    def atan(self, x: Array, /) -> Array:
        """Inverse tangent."""

    def sinh(self, x: Array, /) -> Array:
        """Hyperbolic sine."""

    def cosh(self, x: Array, /) -> Array:
        """Hyperbolic cosine."""

    def asinh(self, x: Array, /) -> Array:
        """Inverse hyperbolic sine."""

    def acosh(self, x: Array, /) -> Array:
        """Inverse hyperbolic cosine (NaN below 1)."""

    def atanh(self, x: Array, /) -> Array:
        """Inverse hyperbolic tangent (±inf at ±1, NaN outside)."""

    def log2(self, x: Array, /) -> Array:
        """Base-2 logarithm."""

    def log10(self, x: Array, /) -> Array:
        """Base-10 logarithm."""

    def erf(self, x: Array, /) -> Array:
        """The error function."""

    def erfc(self, x: Array, /) -> Array:
        """``1 - erf(x)``, accurate where it is small."""

    def erfinv(self, x: Array, /) -> Array:
        """The inverse of ``erf`` on ``[-1, 1]`` (±inf at ±1, NaN outside)."""

    def lgamma(self, x: Array, /) -> Array:
        """``log |Gamma(x)|`` (inf at the poles 0, -1, -2, ...)."""

    def signbit(self, x: Array, /) -> Array:
        """Bool array: the sign bit is set (true for -0.0; floating arrays)."""

    def atan2(self, a: Operand, b: Operand, /) -> Array:
        """The angle of the point ``(b, a)``, by quadrant."""

    def hypot(self, a: Operand, b: Operand, /) -> Array:
        """``sqrt(a**2 + b**2)`` without overflow."""

    def copysign(self, a: Operand, b: Operand, /) -> Array:
        """``|a|`` with ``b``'s sign bit."""

    def remainder(self, a: Operand, b: Operand, /) -> Array:
        """``a - b * floor(a / b)``: the remainder with ``b``'s sign (Python's ``%``). For
        integers the core checks ``b`` for zero first."""

    def fmod(self, a: Operand, b: Operand, /) -> Array:
        """``a - b * trunc(a / b)``: the remainder with ``a``'s sign (C's ``fmod``)."""

    def floor_divide(self, a: Operand, b: Operand, /) -> Array:
        """``floor(a / b)`` (Python's ``//``), in the operands' dtype."""

    def bitwise_xor(self, a: Operand, b: Operand, /) -> Array:
        """``a ^ b`` of integer or bool arrays, bit by bit."""

    def bitwise_invert(self, x: Array, /) -> Array:
        """``~x`` of an integer array, bit by bit (logical not of a bool array)."""

    def bitwise_left_shift(self, a: Operand, b: Operand, /) -> Array:
        """``a << b`` of integer arrays (``b >= 0``; the core makes a shift past the width
        give 0)."""

    def bitwise_right_shift(self, a: Operand, b: Operand, /) -> Array:
        """``a >> b`` of integer arrays, arithmetic (``b >= 0``; the core makes a shift past
        the width give 0 or -1)."""


POINTWISE: frozenset[str] = frozenset(
    name for name in vars(PointwiseOps) if not name.startswith("_")
)
"""The names above: optional, elementwise."""
