"""``tensorplug.save`` / ``tensorplug.load``: checkpoints in the safetensors format.

Never pickle: a safetensors file is a JSON header plus raw little-endian buffers, so loading
one cannot run code. Nested objects (an optimizer's state dict) are flattened: each tensor is
stored under its dotted path (``state.0.exp_avg``) and the structure, with every non-tensor
leaf (numbers, strings, booleans, ``None``), goes into the header's metadata as JSON. A flat
``{name: tensor}`` dict (a model's state dict) is stored under its own names, so other
safetensors readers see the usual layout.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from typing import Any

from ._tensor import Tensor

__all__ = ["save", "load"]

_TREE = "tensorplug.tree"
_FORMAT = "tensorplug.format"
_VERSION = "1"
_SCALARS = (bool, int, float, str, type(None))


def _encode(obj: Any, path: str, tensors: dict[str, Any]) -> Any:
    """The JSON form of ``obj``; tensors are moved to host arrays in ``tensors``."""
    if isinstance(obj, Tensor):
        import numpy as np

        name = path or "tensor"
        while name in tensors:
            name += "_"
        host = np.asarray(obj._backend.k.to_host(obj._data))
        # (np.ascontiguousarray would turn a 0-d array into a 1-d one)
        tensors[name] = host if host.flags.c_contiguous else host.copy(order="C")
        return {"T": name}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(
                    f"tensorplug.save: dict keys must be str or int, got "
                    f"{type(k).__name__} at {path or '<root>'!r}"
                )
            items.append([k, _encode(v, f"{path}.{k}" if path else str(k), tensors)])
        return {"D": items}
    if isinstance(obj, (list, tuple)):
        seq = [_encode(v, f"{path}.{i}" if path else str(i), tensors) for i, v in enumerate(obj)]
        return {"L" if isinstance(obj, list) else "U": seq}
    if isinstance(obj, _SCALARS):
        return {"V": obj}
    raise TypeError(
        f"tensorplug.save: cannot save an object of type {type(obj).__name__} at "
        f"{path or '<root>'!r}; checkpoints hold tensors, dicts, lists, tuples, numbers, "
        "strings, booleans and None (never pickled objects)"
    )


def _decode(node: Any, names: set[str], make: Any, where: str) -> Any:
    if not isinstance(node, dict) or len(node) != 1:
        raise _corrupt(where, "its structure metadata is malformed")
    ((kind, value),) = node.items()
    if kind == "T":
        if not isinstance(value, str) or value not in names:
            raise _corrupt(
                where, f"its metadata names a tensor {value!r} the file does not contain"
            )
        return make(value)
    if kind == "D":
        return {k: _decode(v, names, make, where) for k, v in value}
    if kind in ("L", "U"):
        seq = [_decode(v, names, make, where) for v in value]
        return seq if kind == "L" else tuple(seq)
    if kind == "V":
        return value
    raise _corrupt(where, f"its structure metadata has an unknown node kind {kind!r}")


def _corrupt(path: str, why: str) -> RuntimeError:
    return RuntimeError(
        f"tensorplug.load: {path!r} is not a valid tensorplug checkpoint: {why}. The file may "
        "be truncated, corrupt or edited by hand; re-create it with tensorplug.save"
    )


def save(obj: Any, f: str | os.PathLike[str]) -> None:
    """Write ``obj`` (a tensor, or dicts/lists/tuples of tensors and plain values) to ``f``.

    The write is atomic: the data goes to a temporary file beside ``f``, is flushed to disk,
    then renamed over ``f``, so an interrupted save leaves any previous checkpoint intact.

    Example:
        >>> import tensorplug as tp, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> tp.save({"w": tp.ones(2)}, path)
        >>> tp.load(path)
        {'w': tensor([1., 1.])}
    """
    from safetensors.numpy import save as st_save

    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"tensorplug.save: f must be a file path, got {type(f).__name__}")
    arrays: dict[str, Any] = {}
    flat = (
        isinstance(obj, dict)
        and obj
        and all(isinstance(k, str) and k and isinstance(v, Tensor) for k, v in obj.items())
    )
    # A flat state dict's tensors keep its own keys as names (the usual safetensors layout).
    tree = _encode(obj, "", arrays)
    payload = st_save(
        arrays,
        metadata={
            _FORMAT: _VERSION,
            _TREE: json.dumps(tree),
            "format": "pt" if flat else "tensorplug",
        },
    )
    _atomic_write(os.fspath(f), payload)


def _atomic_write(path: str, data: bytes) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    try:  # make the rename itself durable; not possible on every platform
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(dfd)
    finally:
        os.close(dfd)


def load(
    f: str | os.PathLike[str],
    map_location: Any = None,
    *,
    backend: Any = None,
    device: Any = None,
    weights_only: bool = True,
) -> Any:
    """Read a checkpoint written by ``save`` (or any safetensors file) onto a backend.

    Tensors land on ``backend``/``device`` (``map_location`` accepts either), by default the
    current backend, whatever backend saved them. A safetensors file without tensorplug's
    metadata loads as a flat ``{name: tensor}`` dict. ``weights_only`` is accepted for
    PyTorch compatibility; loading never runs code.

    Raises:
        RuntimeError: the file is truncated, corrupt or its metadata was edited inconsistently.
    """
    del weights_only
    from safetensors import SafetensorError, safe_open

    from ._creation import tensor
    from ._plugins import REGISTRY, resolve

    path = os.fspath(f)
    if map_location is not None:
        if isinstance(map_location, str) and map_location in REGISTRY.specs:
            backend = map_location
        else:
            device = map_location
    be = resolve(backend, device)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"tensorplug.load: no such file: {path!r}")
    try:
        # safe_open validates the header and that the data covers every tensor; tensors are
        # then read one at a time, so a checkpoint is never held twice in host memory.
        with safe_open(path, framework="numpy") as sf:
            meta = sf.metadata() or {}
            names = set(sf.keys())

            def make(name: str) -> Tensor:
                return tensor(sf.get_tensor(name), backend=be)

            if _TREE not in meta:
                return {name: make(name) for name in sorted(names)}
            try:
                tree = json.loads(meta[_TREE])
            except ValueError as e:
                raise _corrupt(path, f"its structure metadata is not valid JSON ({e})") from None
            return _decode(tree, names, make, path)
    except SafetensorError as e:
        raise _corrupt(path, f"{type(e).__name__}: {e}") from None
