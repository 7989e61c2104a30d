"""``functional_call``: run a module with some of its parameters and buffers replaced by given
tensors (for a meta-learning inner step, an ensemble of weights, a Jacobian with respect to the
weights), restoring them afterwards, as PyTorch's ``torch.func.functional_call``.

The implementation is ``tensorplug.func.functional_call``; this module holds the older,
deprecated spelling and the swapping of the tensors.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["functional_call"]


def _tied(module: Module, given: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """``given`` with each tensor also under the other names of a parameter or buffer shared
    under several names (``tie_weights``: a tied embedding and output layer)."""
    names: dict[int, list[str]] = {}
    for table in (module.named_parameters, module.named_buffers):
        for name, t in table(remove_duplicate=False):
            names.setdefault(id(t), []).append(name)
    out = dict(given)
    for group in names.values():
        if len(group) < 2:
            continue
        values = {id(given[n]): given[n] for n in group if n in given}
        if len(values) > 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(group)}, which are "
                "tied. Consider using tie_weights=False"
            )
        for value in values.values():
            out.update(dict.fromkeys(group, value))
    return out


def _slot(module: Module, name: str) -> tuple[dict[str, Any], str] | None:
    """The table (``_parameters`` or ``_buffers`` of the owning submodule) holding ``name``."""
    path, _, leaf = name.rpartition(".")
    try:
        owner = module.get_submodule(path)
    except AttributeError:
        return None
    for table in (owner._parameters, owner._buffers):
        if leaf in table:
            return table, leaf
    return None


@contextmanager
def _reparametrize(module: Module, tensors: Mapping[str, Tensor], strict: bool) -> Iterator[None]:
    slots = {name: _slot(module, name) for name in tensors}
    if strict:
        expected = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        expected |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        unexpected = sorted(n for n in tensors if n not in expected)
        missing = sorted(n for n in expected if n not in tensors)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError(
                f"Error(s) in reparametrizing for {module._get_name()}:\n\t" + "\n\t".join(msgs)
            )
    saved = []
    try:
        for name, value in tensors.items():
            slot = slots[name]
            if slot is not None:
                table, leaf = slot
                saved.append((table, leaf, table[leaf]))
                table[leaf] = value
        yield
    finally:
        for table, leaf, original in reversed(saved):
            table[leaf] = original


def _merge(dicts: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]]) -> dict[str, Tensor]:
    if isinstance(dicts, Mapping):
        return dict(dicts)
    merged: dict[str, Tensor] = {}
    repeated = set()
    for d in dicts:
        repeated |= merged.keys() & d.keys()
        merged.update(d)
    if repeated:
        raise ValueError(
            f"{sorted(repeated)} appeared in multiple dictionaries; behavior of "
            "functional call is ambiguous"
        )
    return merged


def functional_call(
    module: Module,
    parameters_and_buffers: Mapping[str, Tensor],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """The older spelling of ``tensorplug.func.functional_call`` (deprecated in PyTorch)."""
    warnings.warn(
        "`tensorplug.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and "
        "will be removed in a future version of PyTorch. Please use "
        "`tensorplug.func.functional_call` instead which is a drop-in replacement.",
        FutureWarning,
        stacklevel=2,
    )
    from ...func import functional_call as call

    return call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )
