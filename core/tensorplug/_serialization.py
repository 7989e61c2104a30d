"""``tensorplug.save`` / ``tensorplug.load``: checkpoints in the safetensors format.

Never pickle: a safetensors file is a JSON header plus raw little-endian buffers, so loading
one cannot run code. Nested objects (an optimizer's state dict) are flattened: each tensor is
stored under its dotted path (``state.0.exp_avg``) and the structure, with every non-tensor
leaf (numbers, strings, booleans, ``None``), goes into the header's metadata as JSON. A flat
``{name: tensor}`` dict (a model's state dict) is stored under its own names, so other
safetensors readers see the usual layout. The format itself is ``_safetensors``; what this
module adds is the structure and the file handling (docs/serialization.md).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import secrets
import socket
import stat
from collections.abc import Callable
from typing import IO, Any

from . import _safetensors as ST
from ._tensor import Tensor

__all__ = ["save", "load"]

_TREE = "tensorplug.tree"
_FORMAT = "tensorplug.format"
_VERSION = "1"
_CHECKED = "+sha256"
"""Appended to the format with a checksum, so that a file whose checksum key was damaged
fails instead of loading unchecked."""
_SCALARS = (bool, int, float, str, type(None))
_MAX_DEPTH = 100
"""Containers nest at most this deep: the tree is parsed and rebuilt recursively."""

TEMP_TAG = ".tp-save."
"""Marks a save's temporary file: ``.<name>.tp-save.<host>.<pid>.<random>.tmp`` beside the
target. On Linux the data is written to an unnamed file that only gets this name once it is on
disk, just before the rename; elsewhere one left behind by a killed save is removed by the next
save of that target on the same host once its process has ended."""


# -- the structure ------------------------------------------------------------------------------


class _Encoder:
    """The JSON form of a checkpoint's structure, with its tensors collected by name."""

    def __init__(self) -> None:
        self.tensors: dict[str, Tensor] = {}
        self.active: set[int] = set()  # containers on the current path: a cycle is an error

    def encode(self, obj: Any, path: str) -> Any:
        # Types are read from ``type()``, never from ``__class__`` or ``isinstance`` alone: an
        # object cannot pass for a tensor or a dict it is not.
        kind = type(obj)
        if issubclass(kind, Tensor):
            return {"T": self._name(path or "tensor", obj)}
        if issubclass(kind, _SCALARS):
            return {"V": obj}  # json writes builtin subclasses by value (no user code runs)
        if not issubclass(kind, (dict, list, tuple)):
            raise TypeError(
                f"tensorplug.save: cannot save an object of type {kind.__name__} at "
                f"{path or '<root>'!r}; checkpoints hold tensors, dicts, lists, tuples, numbers, "
                "strings, booleans and None (never pickled objects)"
            )
        if id(obj) in self.active:
            raise ValueError(f"tensorplug.save: the {kind.__name__} at {path or '<root>'!r} "
                             "contains itself; a checkpoint is a tree")  # fmt: skip
        if len(self.active) >= _MAX_DEPTH:
            raise ValueError(
                f"tensorplug.save: containers nest deeper than {_MAX_DEPTH} levels at {path!r}"
            )
        self.active.add(id(obj))
        try:
            if issubclass(kind, dict):
                return {"D": [self._item(k, v, path) for k, v in list(obj.items())]}
            seq = [self.encode(v, _join(path, i)) for i, v in enumerate(list(obj))]
            return {"L" if issubclass(kind, list) else "U": seq}
        finally:
            self.active.discard(id(obj))

    def _item(self, k: Any, v: Any, path: str) -> list[Any]:
        if not issubclass(type(k), (str, int)) or issubclass(type(k), bool):
            raise TypeError(
                f"tensorplug.save: dict keys must be str or int, got {type(k).__name__} at "
                f"{path or '<root>'!r}"
            )
        return [k, self.encode(v, _join(path, k))]

    def _name(self, name: str, t: Tensor) -> str:
        # A name must be valid UTF-8 in the header and must not be the metadata's key.
        name = name.encode("utf-8", "backslashreplace").decode("utf-8")
        while name in self.tensors or name == "__metadata__":
            name += "_"
        self.tensors[name] = t
        return name


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _flat(obj: Any) -> bool:
    """A non-empty ``{name: tensor}`` dict whose names can be the file's own names."""
    return (
        type(obj) is dict
        and bool(obj)
        and all(type(k) is str and k and k != "__metadata__" and _utf8(k) for k in obj)
        and all(issubclass(type(v), Tensor) for v in obj.values())
    )


def _utf8(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _Decoder:
    """Rebuilds the structure from its JSON form, checking every node; a tensor named twice
    is made once (a hostile header cannot multiply one tensor's memory)."""

    def __init__(self, path: str, make: Callable[[str], Tensor]) -> None:
        self.path = path
        self.make = make
        self.made: dict[str, Tensor] = {}

    def decode(self, node: Any, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise self.bad(f"its structure nests deeper than {_MAX_DEPTH} levels")
        if type(node) is not dict or len(node) != 1:
            raise self.bad(f"its structure metadata has a malformed node {_short(node)}")
        ((kind, value),) = node.items()
        if kind not in ("T", "V", "D", "L", "U"):
            raise self.bad(f"its structure metadata has an unknown node kind {_short(kind)}")
        if kind == "T":
            if type(value) is not str:
                raise self.bad(f"its metadata names a tensor by a non-string {_short(value)}")
            if value not in self.made:
                self.made[value] = self.make(value)
            return self.made[value]
        if kind == "V":
            if value is not None and type(value) not in _SCALARS:
                raise self.bad(f"its structure metadata holds a non-scalar value {_short(value)}")
            return value
        if type(value) is not list:
            raise self.bad(f"its structure metadata's {kind!r} node holds {_short(value)}")
        if kind == "D":
            out = {}
            for item in value:
                if type(item) is not list or len(item) != 2 or type(item[0]) not in (str, int):
                    raise self.bad(
                        f"its structure metadata has a malformed dict item {_short(item)}"
                    )
                out[item[0]] = self.decode(item[1], depth + 1)
            return out
        seq = [self.decode(v, depth + 1) for v in value]
        return seq if kind == "L" else tuple(seq)

    def bad(self, why: str) -> RuntimeError:
        return _corrupt(self.path, why)


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _corrupt(path: str, why: str) -> RuntimeError:
    return RuntimeError(
        f"tensorplug.load: {path!r} is not a valid tensorplug checkpoint: {why}. The file may "
        "be truncated, corrupt or edited by hand; re-create it with tensorplug.save"
    )


def _path(f: Any, what: str) -> str:
    if not isinstance(f, (str, bytes, os.PathLike)):
        raise TypeError(f"tensorplug.{what}: f must be a file path, got {type(f).__name__}")
    path = os.fsdecode(os.fspath(f))
    if not path or "\0" in path:
        raise ValueError(f"tensorplug.{what}: invalid file path {path!r}")
    return path


# -- save -----------------------------------------------------------------------------------------


def save(obj: Any, f: str | bytes | os.PathLike[str], *, checksum: bool = False) -> None:
    """Write ``obj`` (a tensor, or dicts/lists/tuples of tensors and plain values) to ``f``.

    The write is atomic: the data goes to a temporary file beside the target, is flushed to
    disk, then renamed over it, so an interrupted save leaves any previous checkpoint intact.
    A symbolic link is followed (its target is replaced; the link stays), and a file without
    write permission is refused with ``PermissionError``, as ``open(f, "wb")`` would.

    Args:
        obj: what to save. Tensors are saved detached, from whatever backend holds them.
        f: a file path.
        checksum: store a SHA-256 of the content in the metadata; ``load`` then verifies it
            (docs/serialization.md says what it does and does not protect against).

    Example:
        >>> import tensorplug as tp, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "w.safetensors")
        >>> tp.save({"w": tp.ones(2)}, path, checksum=True)
        >>> tp.load(path)
        {'w': tensor([1., 1.])}
    """
    path = _path(f, "save")
    enc = _Encoder()
    tree = enc.encode(obj, "")
    metadata = {
        _FORMAT: _VERSION + (_CHECKED if checksum else ""),
        _TREE: json.dumps(tree),
        "format": "pt" if _flat(obj) else "tensorplug",
    }
    specs = [ST.Spec(name, ST.CODES[t.dtype], tuple(t.shape)) for name, t in enc.tensors.items()]

    def fetch(name: str) -> Any:
        t = enc.tensors[name]
        return t._backend.k.to_host(t._data)

    _write_file(path, lambda fh: ST.write(fh, specs, metadata, fetch, checksum))


def _write_file(path: str, write: Callable[[IO[bytes]], None]) -> None:
    if path.endswith(("/", os.sep)):
        raise IsADirectoryError(errno.EISDIR, f"tensorplug.save: {path!r} names a directory")
    target = os.path.realpath(path)  # through symbolic links: the link stays a link
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:  # a loop of links, a component that is not a directory
        raise type(e)(e.errno, f"tensorplug.save: cannot write {path!r}: {e.strerror}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, f"tensorplug.save: {path!r} is a directory")
        if not stat.S_ISREG(st.st_mode):  # /dev/null, a pipe: nothing to replace atomically
            buf = io.BytesIO()  # the writer seeks back to its checksum; a pipe cannot
            write(buf)
            with open(target, "wb") as fh:
                fh.write(buf.getbuffer())
            return
        # A file without any write permission bit is refused even for root, whom
        # os.access (and PyTorch's open) would let through.
        if not os.access(target, os.W_OK) or not st.st_mode & 0o222:
            raise PermissionError(
                errno.EACCES,
                "tensorplug.save: the file is read-only (make it writable, or save elsewhere)",
                path,
            )
    directory, base = os.path.split(target)
    prefix = f".{base[:100]}{TEMP_TAG}"
    tmp = os.path.join(directory, f"{prefix}{_host()}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = _unnamed_file(directory)
    named = fd is None
    if fd is None:
        fd = _create(tmp, path, directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
            if not named:  # the data is on disk: only now does the file get a name
                _link(fh.fileno(), tmp)
                named = True
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, target)
    except BaseException:
        if named:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    _fsync_directory(directory)
    _remove_stale(directory, prefix)


def _unnamed_file(directory: str) -> int | None:
    """A file in ``directory`` without a name (Linux's ``O_TMPFILE``), which vanishes if the
    process is killed before it is linked; None where the system or file system has none."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(directory, flag | os.O_WRONLY, 0o666)
    except OSError:  # a file system without it (NFS, older kernels)
        return None


def _link(fd: int, name: str) -> None:
    """Give the unnamed file ``fd`` the path ``name``."""
    dfd = os.open(os.path.dirname(name), os.O_RDONLY)
    try:  # a dir_fd makes os.link call linkat(..., AT_SYMLINK_FOLLOW), as /proc/self/fd needs
        os.link(f"/proc/self/fd/{fd}", os.path.basename(name), dst_dir_fd=dfd)
    finally:
        os.close(dfd)


def _create(tmp: str, path: str, directory: str) -> int:
    try:
        # O_EXCL: never through a planted link; 0o666 less the umask, as open() creates files.
        return os.open(
            tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
        )
    except OSError as e:
        raise type(e)(
            e.errno,
            f"tensorplug.save: cannot write {path!r}: cannot create a file in "
            f"{directory!r}: {e.strerror}",
        ) from None


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:64] or "host"


def _remove_stale(directory: str, prefix: str) -> None:
    """Remove temporary files of earlier saves of this target, on this host, whose process has
    ended (a save killed before it could clean up). Best effort: errors are ignored."""
    if os.name != "posix":  # os.kill(pid, 0) does not probe a process elsewhere
        return
    mine = prefix + _host() + "."
    with contextlib.suppress(OSError), os.scandir(directory) as it:
        for entry in it:
            name = entry.name
            if not (name.startswith(mine) and name.endswith(".tmp")):
                continue
            pid = name[len(mine) :].partition(".")[0]
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or not ours to judge: leave its file alone
    return True


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable; not possible on every platform."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(dfd)
    finally:
        os.close(dfd)


# -- load -----------------------------------------------------------------------------------------


def load(
    f: str | bytes | os.PathLike[str],
    map_location: Any = None,
    *,
    backend: Any = None,
    device: Any = None,
    weights_only: bool = True,
) -> Any:
    """Read a checkpoint written by ``save`` (or any safetensors file) onto a backend.

    Tensors land on ``backend``/``device`` (``map_location`` accepts either), by default the
    current backend, whatever backend saved them. A safetensors file without tensorplug's
    metadata loads as a flat ``{name: tensor}`` dict. Dtypes tensorplug lacks load as the
    narrowest one holding their values exactly (BF16 as float32, U8 as int32). A checksum
    stored by ``save(..., checksum=True)`` is verified. ``weights_only`` is accepted for
    PyTorch compatibility; loading never runs code.

    Raises:
        RuntimeError: the file is truncated or corrupt, its metadata was edited inconsistently,
            its checksum does not match, or it holds a dtype tensorplug cannot load (named).
    """
    del weights_only
    from ._creation import tensor
    from ._plugins import REGISTRY, resolve

    path = _path(f, "load")
    if map_location is not None:
        if isinstance(map_location, str) and map_location in REGISTRY.specs:
            backend = map_location
        else:
            device = map_location
    be = resolve(backend, device)
    _check_regular_file(path)
    with open(path, "rb", buffering=0) as fh:
        try:
            meta, entries, start = ST.read_header(fh, os.fstat(fh.fileno()).st_size)
        except ST.FormatError as e:
            raise _corrupt(path, str(e)) from None
        by_name = {e.name: e for e in entries}
        digests: dict[str, bytes] = {}

        def make(name: str) -> Tensor:
            entry = by_name.get(name)
            if entry is None:
                raise _corrupt(
                    path, f"its metadata names a tensor {name!r} the file does not contain"
                )
            try:
                values, dtype, digests[name] = ST.read_tensor(fh, entry, start, be.supported_dtypes)
            except ST.FormatError as e:
                raise _corrupt(path, str(e)) from None
            except ST.Refused as e:
                raise RuntimeError(f"tensorplug.load: cannot load {path!r}: {e}") from None
            return tensor(values, dtype=dtype, backend=be)

        expected = _check_format(path, meta)
        if _TREE in meta:
            try:
                tree = json.loads(meta[_TREE])
            except (ValueError, RecursionError) as e:
                raise _corrupt(path, f"its structure metadata is not valid JSON ({e})") from None
            result = _Decoder(path, make).decode(tree)
        else:
            result = {name: make(name) for name in sorted(by_name)}
        if expected is not None:
            _verify(fh, path, meta, entries, start, digests, expected)
    return result


def _check_regular_file(path: str) -> None:
    """``load``'s target must exist and be a regular file (a pipe or a device could block or
    never end)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, f"tensorplug.load: no such file: {path!r}") from None
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, f"tensorplug.load: {path!r} is a directory")
    if not stat.S_ISREG(mode):
        raise RuntimeError(f"tensorplug.load: {path!r} is not a regular file")


def _check_format(path: str, meta: dict[str, str]) -> str | None:
    """The checkpoint format's version must be one this tensorplug reads, with a checksum
    where it promises one; returns that checksum (None when the file has none)."""
    expected = meta.get(ST.CHECKSUM_KEY)
    if expected is not None and not re.fullmatch(r"[0-9a-f]{64}", expected):
        raise _corrupt(path, f"its checksum {_short(expected)} is not a SHA-256 hex digest")
    version = meta.get(_FORMAT, _VERSION)
    if version.removesuffix(_CHECKED) != _VERSION:
        raise RuntimeError(
            f"tensorplug.load: {path!r} has checkpoint format {_short(version)}; this "
            f"tensorplug reads format {_VERSION} (upgrade tensorplug)"
        )
    if version.endswith(_CHECKED) and expected is None:
        raise _corrupt(path, "its format promises a checksum, but it has none")
    if _TREE in meta and _FORMAT not in meta:  # tensorplug writes both, or neither
        raise _corrupt(path, "its structure metadata has no format version")
    return expected


def _verify(
    fh: IO[bytes],
    path: str,
    meta: dict[str, str],
    entries: list[ST.Entry],
    start: int,
    digests: dict[str, bytes],
    expected: str,
) -> None:
    for e in entries:
        if e.name not in digests:  # in the file but not in the structure: hashed all the same
            fh.seek(start + e.begin)
            h = hashlib.sha256()
            left = e.nbytes
            while left:
                chunk = fh.read(min(left, 1 << 24))
                if not chunk:
                    raise _corrupt(path, "the file ended early (changed while it was read?)")
                h.update(chunk)
                left -= len(chunk)
            digests[e.name] = h.digest()
    actual = ST.content_digest(meta, ((e, digests[e.name]) for e in entries))
    if actual != expected:
        raise RuntimeError(
            f"tensorplug.load: {path!r} fails its checksum: the SHA-256 of its content is "
            f"{actual}, but the file records {expected}. Its tensors or metadata changed "
            "after it was written (disk or transfer corruption, or an edit); re-create it"
        )
