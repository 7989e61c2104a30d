"""The coverage guard: every public op has an op-database entry, so none escapes conformance.

The public API is read at test time (``__all__``), so an op added later fails here until it
gets an ``OpInfo``. Names that are not ops are listed with the reason they are exempt.
"""

from __future__ import annotations

import tensorplug as tp
import tensorplug.nn.functional as F
from tensorplug.testing import op_db

_DTYPE = "a dtype object or alias, not an op"
_CREATION = (
    "a creation function: no tensor input to differentiate; covered by the core's unit tests"
)
_GRAD_MODE = "a grad-mode switch; the engine family checks its effect through each backend"
_SELECTION = "backend selection and discovery; covered by tests/backends/test_plugins.py"

_RANDOM = "random generators and their state; tests/core/test_random.py"
_SAMPLING = "random samples, not a function of the inputs' values; tests/core/test_random.py"
NOT_OPS: dict[str, str] = {
    "Tensor": "the tensor type; its operators are reached through the ops",
    "dtype": _DTYPE, "bool": _DTYPE, "int32": _DTYPE, "int64": _DTYPE, "float16": _DTYPE,
    "float32": _DTYPE, "float64": _DTYPE, "half": _DTYPE, "float": _DTYPE, "double": _DTYPE,
    "long": _DTYPE, "int": _DTYPE,
    "get_default_dtype": "global setting", "set_default_dtype": "global setting",
    "promote_types": "dtype arithmetic on dtype objects; tests/core/test_dtype.py",
    "finfo": "a dtype's numeric limits; tests/core/test_dtype.py",
    "iinfo": "a dtype's numeric limits; tests/core/test_dtype.py",
    "device": "the device type (torch's spelling)", "Device": "the device type",
    "is_tensor": "a type query", "numel": "a shape query, returns a Python int",
    "tensor": _CREATION, "as_tensor": _CREATION, "from_numpy": _CREATION, "zeros": _CREATION,
    "ones": _CREATION, "full": _CREATION, "empty": _CREATION, "arange": _CREATION,
    "linspace": _CREATION, "eye": _CREATION, "rand": _CREATION, "randn": _CREATION,
    "randint": _CREATION, "zeros_like": _CREATION, "ones_like": _CREATION,
    "full_like": _CREATION, "empty_like": _CREATION, "rand_like": _CREATION,
    "randn_like": _CREATION, "randint_like": _CREATION,
    "manual_seed": "seeds the backends' generators",
    "autograd": "a module", "plugins": "a module", "linalg": "a module (its ops: below)",
    "no_grad": _GRAD_MODE, "enable_grad": _GRAD_MODE, "set_grad_enabled": _GRAD_MODE,
    "is_grad_enabled": _GRAD_MODE,
    "get_backend": _SELECTION, "set_backend": _SELECTION, "use_backend": _SELECTION,
    "list_backends": _SELECTION,
    "UnsupportedOperation": "an exception type", "BackendUnavailableError": "an exception type",
    "Generator": _RANDOM, "default_generator": _RANDOM, "initial_seed": _RANDOM,
    "seed": _RANDOM, "get_rng_state": _RANDOM, "set_rng_state": _RANDOM,
    "multinomial": _SAMPLING, "bernoulli": _SAMPLING, "poisson": _SAMPLING,
    "randperm": _CREATION,
    "normal": _SAMPLING + " (its gradients are zero, as PyTorch's NormalBackward*)",
    "inverse": "tensorplug.linalg.inv under PyTorch's older name (the linalg entry checks it)",
    "logdet": "tensorplug.linalg.logdet; tests/ops/test_linalg.py",
    "save": "serialization to a file; tests/serialization/",
    "load": "serialization from a file; tests/serialization/",
    # issue 16: whole-tensor tests giving a Python bool (the database compares tensors)
    "allclose": "returns a Python bool; tests/ops/test_pointwise_families.py against PyTorch",
    "equal": "returns a Python bool; tests/ops/test_pointwise_families.py against PyTorch",
    # issue 16 (wt-i16ops)
    "return_types": "a module of result types; tests/ops/test_return_types.py",
    "memory_format": "a layout type; tests/core/test_memory_format.py",
    "contiguous_format": "a layout; tests/core/test_memory_format.py",
    "preserve_format": "a layout; tests/core/test_memory_format.py",
    # issue 16 (wt-h16tensor): in-place functions without an entry of their own
    **{n: "PyTorch's in-place form has no derivative (its backward raises, here too); the "
       "values: tests/core/test_inplace_variants.py"
       for n in ("asinh_", "acosh_", "atanh_", "arcsinh_", "arccosh_", "arctanh_")},
    "detach_": "detaches in place, no op on values; tests/core/test_inplace_variants.py",
    "detach": "a tensor outside the graph, no op on values; tests/core/test_tensor_protocol.py",
    **{n: "a query of the dtype, shape or device; tests/core/test_tensor_protocol.py"
       for n in ("is_complex", "is_signed", "is_floating_point", "is_nonzero", "is_same_size",
                 "get_device")},
}  # fmt: skip
"""Names in ``tensorplug.__all__`` that are not ops, each with why it has no entry."""

_UNDERSCORE = "the in-place form, checked as the variant 'NAME_' of NAME's entry"
NOT_OPS_NN: dict[str, str] = {
    name + "_": _UNDERSCORE.replace("NAME", name)
    for name in ("elu", "selu", "celu", "hardtanh", "threshold", "rrelu")
} | {  # issue 16/17 (wt-h16nn)
    "relu_": "the in-place relu; tests/nn/test_layers_extra.py against PyTorch",
    "relu": "tensorplug.relu (its entry) with PyTorch's inplace; tests/nn/test_layers_extra.py",
    "leaky_relu_": "the in-place leaky_relu; tests/nn/test_layers_extra.py against PyTorch",
}
"""The same for ``tensorplug.nn.functional.__all__``: the in-place ``F.name_`` forms."""


NOT_OPS_LINALG: dict[str, str] = {
    "LinAlgError": "an exception type",
    "matmul": "tensorplug.matmul itself, which has its entry",
    "logdet": "slogdet's logabsdet where the sign is positive, NaN elsewhere; tests/ops/",
    # issue 16 (wt-h16math)
    "diagonal": "Tensor.diagonal with the last two dims by default (an entry of that name "
    "exists: tensorplug.diagonal); tests/ops/test_math_surface.py",
}
"""The same for ``tensorplug.linalg.__all__``."""


def _covered() -> set[str]:
    return {n for info in op_db for n in (info.name, *info.aliases)}


def test_every_public_op_has_an_entry() -> None:
    covered = _covered()
    missing = [n for n in tp.__all__ if n not in covered and n not in NOT_OPS]
    assert not missing, (
        f"public ops without an op-database entry: {missing}; add an OpInfo to the "
        "matching core/tensorplug/testing/_opdb_*.py module (or, if it is not an op, add "
        "it to NOT_OPS with the reason)"
    )


def test_every_nn_functional_op_has_an_entry() -> None:
    covered = _covered()
    missing = [n for n in F.__all__ if n not in covered and n not in NOT_OPS_NN]
    assert not missing, (
        f"nn.functional ops without an op-database entry: {missing}; add an OpInfo to "
        "core/tensorplug/testing/_opdb_nn.py"
    )


def test_every_linalg_op_has_an_entry() -> None:
    covered = {info.name for info in op_db if info.namespace == "tensorplug.linalg"}
    missing = [n for n in tp.linalg.__all__ if n not in covered and n not in NOT_OPS_LINALG]
    assert not missing, f"tensorplug.linalg ops without an op-database entry: {missing}"


def test_exemptions_are_current_and_reasoned() -> None:
    stale = [n for n in NOT_OPS if n not in tp.__all__]
    stale += [n for n in NOT_OPS_NN if n not in F.__all__]
    assert not stale, f"exempted names no longer public (remove them from the list): {stale}"
    assert all(reason.strip() for reason in {**NOT_OPS, **NOT_OPS_NN}.values())
    both = [n for n in NOT_OPS if n in _covered()]
    assert not both, f"names both exempted and in the op database: {both}"


def test_entries_call_the_public_function() -> None:
    for info in op_db:
        if info.namespace == "tensorplug":
            module = tp
        elif info.namespace == "tensorplug.nn.functional":
            module = F
        else:
            continue  # Tensor methods (indexing) are reached through operator functions
        for name in (info.name, *info.aliases):
            assert getattr(module, name) is info.op, (
                f"{info.namespace}.{name} is not the entry's op"
            )
