"""The names issue 16's statistics, math, special-function and linear-algebra additions
give ``tensorplug``, ``tensorplug.linalg``, ``tensorplug.special`` and ``Tensor`` (one table
each, so the shared modules only import them)."""

from __future__ import annotations

from typing import Any

from . import _dtype as D
from . import _linalg_extra as LX
from . import _ops_bessel as B
from . import _ops_logcumsumexp as LC
from . import _ops_math_extra as MX
from . import _ops_median as MD
from . import _ops_runs as RU
from . import _ops_special_more as SM
from . import _ops_stats as ST

TOP: dict[str, Any] = {
    "median": MD.median, "nanmedian": MD.nanmedian, "kthvalue": MD.kthvalue, "msort": MD.msort,
    "mode": MD.mode, "unique_consecutive": RU.unique_consecutive, "histogram": RU.histogram,
    "quantile": ST.quantile, "nanquantile": ST.nanquantile, "nansum": ST.nansum,
    "nanmean": ST.nanmean, "aminmax": ST.aminmax, "logcumsumexp": LC.logcumsumexp,
    "cov": ST.cov, "corrcoef": ST.corrcoef, "histc": ST.histc,
    "logaddexp": MX.logaddexp, "logaddexp2": MX.logaddexp2, "float_power": MX.float_power,
    "fmax": MX.fmax, "fmin": MX.fmin, "gcd": MX.gcd, "lcm": MX.lcm, "ldexp": MX.ldexp,
    "frexp": MX.frexp, "heaviside": MX.heaviside, "deg2rad": MX.deg2rad, "nextafter": MX.nextafter,
    "rad2deg": MX.rad2deg, "i0": B.bessel_i0,
    "mv": LX.mv, "inner": LX.inner, "vdot": LX.vdot, "addr": LX.addr, "addbmm": LX.addbmm,
    "dist": LX.dist, "renorm": LX.renorm, "cross": LX.cross,
    "cholesky_solve": LX.cholesky_solve, "cholesky_inverse": LX.cholesky_inverse,
    "matrix_power": LX.matrix_power, "matrix_exp": LX.matrix_exp,
}  # fmt: skip
"""``tensorplug.NAME``."""

LINALG: dict[str, Any] = {
    "matrix_power": LX.matrix_power, "matrix_exp": LX.matrix_exp,
    "matrix_rank": LX.matrix_rank, "multi_dot": LX.multi_dot,
    "solve_triangular": LX.solve_triangular, "cond": LX.cond, "vecdot": LX.vecdot,
    "vander": LX.vander, "inv_ex": LX.inv_ex, "solve_ex": LX.solve_ex,
    "cholesky_ex": LX.cholesky_ex, "tensorinv": LX.tensorinv, "tensorsolve": LX.tensorsolve,
    "diagonal": LX.diagonal,
}  # fmt: skip
"""``tensorplug.linalg.NAME``."""

SPECIAL: dict[str, Any] = {
    "i0": B.bessel_i0,
    "i0e": B.special_i0e,
    "i1": B.special_i1,
    "i1e": B.special_i1e,
}
"""``tensorplug.special.NAME``."""


METHODS: dict[str, Any] = {**TOP, "igamma": SM.gammainc, "igammac": SM.gammaincc}
"""``Tensor.NAME``: PyTorch spells every function of ``TOP`` as a method too, and the
incomplete gamma functions under their ``igamma`` names."""


def _inplace_methods() -> dict[str, Any]:
    """The in-place forms PyTorch has (``x.deg2rad_()``, ``x.gcd_(y)``...): each function's
    result written into ``self`` by the shared machinery (``_inplace_variants.written``)."""
    from ._inplace_variants import written

    nodes: dict[str, Any] = {
        "deg2rad": MX.Deg2RadBackward0, "rad2deg": MX.Rad2DegBackward0,
        "ldexp": MX.LdexpBackward0, "nextafter": MX.NextafterBackward0, "i0": B.I0Backward0,
        "igamma": SM.IgammaBackward0, "igammac": SM.IgammacBackward0,
    }  # fmt: skip
    names = ("float_power", "gcd", "lcm", "ldexp", "heaviside", "nextafter", "deg2rad",
             "rad2deg", "i0", "addr", "addbmm", "renorm", "igamma", "igammac")  # fmt: skip
    out = {f"{n}_": written(METHODS[n], f"{n}_", nodes.get(n)) for n in names}
    write_power = out["float_power_"]

    def float_power_(self: Any, exponent: Any) -> Any:
        if self.dtype is not D.float64:  # the result is float64: only a float64 self holds it
            name = {"float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
                    "bool": "Bool"}.get(self.dtype.name, self.dtype.name)  # fmt: skip
            raise RuntimeError(f"the base given to float_power_ has dtype {name} but the "
                               "operation's result requires dtype Double")  # fmt: skip
        return write_power(self, exponent)

    out["float_power_"] = float_power_
    return out


METHODS.update(_inplace_methods())
