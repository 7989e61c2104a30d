"""In-place writes through views reach their base, and writes to a base reach its views
(``tensorplug.testing._aliasing`` has the scenarios and the reference)."""

from __future__ import annotations

from tensorplug.plugins import Backend
from tensorplug.testing._aliasing import BY_NAME, run
from tensorplug.testing._cases import Case, Tolerances
from tensorplug.testing.pytest_plugin import family


@family("aliasing")
def test_aliasing(case: Case, tp_backend: Backend, tp_tolerances: Tolerances) -> None:
    """Base, view and (``-grad``) gradients after a write, against NumPy float64 views."""
    info, d, s = case.op, case.dtype, case.sample
    assert info is not None and d is not None and s is not None
    grad = s.name.endswith("-grad")
    run(BY_NAME[s.name.removesuffix("-grad")], tp_backend, d, grad, tp_tolerances.get(info, d))
