"""``tensorplug.testing``: the conformance kit every backend runs, and tools for your tests.

* ``gradcheck`` / ``gradgradcheck``: analytic gradients against central differences (float64).
* ``assert_close``: comparison with per-dtype tolerances.
* ``op_db``: one ``OpInfo`` per public op, with named ``SampleInput`` and ``ErrorInput``
  records and a NumPy reference.
* ``python -m tensorplug.testing --backend NAME``: the conformance suite for a backend
  (the pytest plugin ``tensorplug.testing.pytest_plugin`` and the tests in
  ``tensorplug.testing.conformance``).
"""

from ._compare import FORWARD, GRAD_PARITY, GRADCHECK, Tol, assert_close
from ._gradcheck import GradcheckError, gradcheck, gradgradcheck, jacobians
from ._opdb import op_db
from ._opinfo import ErrorInput, OpInfo, SampleInput

__all__ = [
    "FORWARD",
    "GRADCHECK",
    "GRAD_PARITY",
    "ErrorInput",
    "GradcheckError",
    "OpInfo",
    "SampleInput",
    "Tol",
    "assert_close",
    "gradcheck",
    "gradgradcheck",
    "jacobians",
    "op_db",
]
