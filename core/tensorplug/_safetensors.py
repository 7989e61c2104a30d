"""The safetensors file format, read and written by tensorplug itself.

A file is an 8-byte little-endian header length ``N``, ``N`` bytes of UTF-8 JSON (padded with
spaces), then the data section: each tensor's little-endian bytes at ``data_offsets``
``[begin, end)`` relative to the section's start. The header maps each tensor name to
``{"dtype", "shape", "data_offsets"}``, and ``__metadata__`` to a ``{str: str}`` table.

Why not the ``safetensors`` package at run time (docs/serialization.md): its NumPy reader cannot
return BF16 or FP8 tensors (NumPy has no such dtype), it maps the file into memory (a file
truncated by another process while being read kills the reader with SIGBUS), and its checks
and messages vary across its versions. This module checks every header field before any tensor
is read, reads one tensor at a time with plain reads, and never allocates more than the file
holds. The package stays the oracle in the tests: each writes what the other reads.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any, TypeGuard

import numpy as np

from . import _dtype as D

MAX_HEADER = 100 * 1024 * 1024
"""The largest header accepted (the ``safetensors`` package's own limit)."""

CHECKSUM_KEY = "tensorplug.sha256"
"""The metadata key of the optional content checksum (``content_digest``)."""

_DIGEST_TAG = b"tensorplug.sha256/1\n"
_MAX_NDIM = 64


class FormatError(ValueError):
    """What is wrong with a file; the caller adds the file's name."""


class Refused(ValueError):
    """A well-formed tensor tensorplug cannot hold (a packed 4-bit float, a complex number)."""


@dataclass(frozen=True)
class Kind:
    """One safetensors dtype: its size in bits, the NumPy dtype of its stored elements, the
    tensorplug dtypes that hold its values exactly (narrowest first), and how stored
    elements become values (``None``: they are the values)."""

    bits: int
    stored: str
    targets: tuple[D.dtype, ...]
    decode: Callable[[np.ndarray], np.ndarray] | None = None
    refused: str = ""


def _bf16(raw: np.ndarray) -> np.ndarray:
    # bfloat16 is the upper half of a float32: every value is exact in float32.
    return (raw.astype(np.uint32) << 16).view(np.float32)


def _fp8(exp_bits: int, man_bits: int, bias: int, nan: str) -> Callable[[np.ndarray], np.ndarray]:
    """A decoder for an 8-bit float by lookup in its 256 values (computed in float64, exact in
    float32). ``nan``: ``ieee`` (all-ones exponent is inf/NaN), ``fn`` (only all-ones is NaN,
    no inf), ``fnuz`` (only ``0x80``, the negative zero, is NaN)."""
    code = np.arange(256)
    e = (code >> man_bits) & ((1 << exp_bits) - 1)
    m = (code & ((1 << man_bits) - 1)) / (1 << man_bits)
    mag = np.where(e == 0, m * 2.0 ** (1 - bias), (1 + m) * 2.0 ** (e - bias))
    value = np.where(code >> 7, -mag, mag)
    top = (1 << exp_bits) - 1
    if nan == "ieee":
        value[(e == top) & (m == 0)] = np.copysign(np.inf, value[(e == top) & (m == 0)])
        value[(e == top) & (m != 0)] = np.nan
    elif nan == "fn":
        value[(code & 0x7F) == 0x7F] = np.nan
    else:
        value[0x80] = np.nan
    table = value.astype(np.float32)
    return lambda raw: np.take(table, raw)


def _e8m0(raw: np.ndarray) -> np.ndarray:
    # An exponent alone (scale factors): 2 ** (e - 127); 0xFF is NaN.
    table = np.ldexp(np.float32(1), np.arange(256) - 127).astype(np.float32)
    table[255] = np.nan
    return np.take(table, raw)


def _u64(raw: np.ndarray) -> np.ndarray:
    if raw.size and raw.max() > np.iinfo(np.int64).max:
        raise Refused(
            "it holds values above 2**63 - 1, which int64 (tensorplug's widest integer dtype) "
            "cannot hold"
        )
    return raw


_INTS = (D.int32, D.int64)
_HALF_UP = (D.float16, D.float32, D.float64)
KINDS: dict[str, Kind] = {
    "BOOL": Kind(8, "u1", (D.bool_,), lambda raw: raw != 0),
    "U8": Kind(8, "u1", _INTS),
    "I8": Kind(8, "i1", _INTS),
    "U16": Kind(16, "<u2", _INTS),
    "I16": Kind(16, "<i2", _INTS),
    "U32": Kind(32, "<u4", (D.int64,)),
    "I32": Kind(32, "<i4", (D.int32,)),
    "U64": Kind(64, "<u8", (D.int64,), _u64),
    "I64": Kind(64, "<i8", (D.int64,)),
    "F16": Kind(16, "<f2", (D.float16,)),
    "BF16": Kind(16, "<u2", (D.float32, D.float64), _bf16),
    "F32": Kind(32, "<f4", (D.float32,)),
    "F64": Kind(64, "<f8", (D.float64,)),
    "F8_E4M3": Kind(8, "u1", _HALF_UP, _fp8(4, 3, 7, "fn")),
    "F8_E5M2": Kind(8, "u1", _HALF_UP, _fp8(5, 2, 15, "ieee")),
    "F8_E4M3FNUZ": Kind(8, "u1", _HALF_UP, _fp8(4, 3, 8, "fnuz")),
    "F8_E5M2FNUZ": Kind(8, "u1", _HALF_UP, _fp8(5, 2, 16, "fnuz")),
    "F8_E8M0": Kind(8, "u1", (D.float32, D.float64), _e8m0),
    "F4": Kind(4, "u1", (), refused="4-bit floats packed two to a byte"),
    "F6_E2M3": Kind(6, "u1", (), refused="6-bit floats packed four to three bytes"),
    "F6_E3M2": Kind(6, "u1", (), refused="6-bit floats packed four to three bytes"),
    "C64": Kind(64, "<c8", (), refused="complex numbers (tensorplug has no complex dtypes)"),
}
"""Every dtype the ``safetensors`` package knows. Those tensorplug lacks load as the narrowest
tensorplug dtype holding each value exactly (BF16 as float32, U8 as int32, FP8 as float16);
packed sub-byte floats and complex numbers are refused by name."""

CODES: dict[D.dtype, str] = {
    D.bool_: "BOOL",
    D.int32: "I32",
    D.int64: "I64",
    D.float16: "F16",
    D.float32: "F32",
    D.float64: "F64",
}
"""How tensorplug's dtypes are written."""


@dataclass(frozen=True)
class Entry:
    """One tensor of a file, as its header describes it (already checked)."""

    name: str
    code: str
    shape: tuple[int, ...]
    begin: int
    end: int

    @property
    def nbytes(self) -> int:
        return self.end - self.begin


# -- reading ------------------------------------------------------------------------------------


def read_header(fh: IO[bytes], size: int) -> tuple[dict[str, str], list[Entry], int]:
    """The metadata, the tensors and the data section's start of the file ``fh`` (``size``
    bytes long), every field checked: offsets inside the file, covering the data section
    without gaps or overlaps, each tensor's byte count matching its dtype and shape."""
    if size < 8:
        raise FormatError(f"it is {size} bytes long, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", _read_exactly(fh, 8))
    if n > size - 8:
        raise FormatError(f"its header length ({n} bytes) runs past the end of the file")
    if n > MAX_HEADER:
        raise FormatError(f"its header length ({n} bytes) exceeds the {MAX_HEADER}-byte limit")
    try:
        header = json.loads(_read_exactly(fh, n).decode("utf-8"), object_pairs_hook=_unique)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise FormatError(f"its header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise FormatError(f"its header is a JSON {type(header).__name__}, not an object")
    meta = header.pop("__metadata__", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise FormatError("its __metadata__ is not a table of strings")
    entries = [_entry(name, spec) for name, spec in header.items()]
    end = 0
    for t in sorted(entries, key=lambda t: (t.begin, t.end)):
        if t.begin != end:
            how = "overlaps another tensor" if t.begin < end else "leaves a gap before it"
            raise FormatError(f"tensor {t.name!r} at bytes {t.begin}..{t.end} {how}")
        end = t.end
    if end != size - 8 - n:
        raise FormatError(
            f"its tensors cover {end} bytes of data, but the file holds {size - 8 - n} "
            "(truncated, or extra bytes at the end)"
        )
    return meta, entries, 8 + n


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} appears twice")
        out[key] = value
    return out


def _entry(name: str, spec: Any) -> Entry:
    where = f"tensor {name!r}"
    if not isinstance(spec, dict):
        raise FormatError(f"{where} is described by a JSON {type(spec).__name__}, not an object")
    code: Any = spec.get("dtype")
    shape: Any = spec.get("shape")
    offsets: Any = spec.get("data_offsets")
    if not isinstance(code, str) or code not in KINDS:
        raise FormatError(f"{where} has an unknown dtype {code!r}")
    if not _ints(shape) or len(shape) > _MAX_NDIM:
        raise FormatError(f"{where} has an invalid shape {shape!r}")
    if not _ints(offsets) or len(offsets) != 2 or offsets[0] > offsets[1]:
        raise FormatError(f"{where} has invalid data_offsets {offsets!r}")
    kind = KINDS[code]
    # Sizes are Python integers (no overflow); a shape no array could have is refused here,
    # so that one with a zero in it cannot reach NumPy.
    if math.prod(d for d in shape if d) * max(kind.bits // 8, 1) >= 2**62:
        raise FormatError(f"{where} has a shape too large for any array: {shape}")
    bits = math.prod(shape) * kind.bits
    if bits != (offsets[1] - offsets[0]) * 8:
        raise FormatError(
            f"{where} ({code}, shape {shape}) needs {bits / 8:g} bytes, but its data_offsets "
            f"give {offsets[1] - offsets[0]}"
        )
    return Entry(name, code, tuple(shape), offsets[0], offsets[1])


def _ints(value: Any) -> TypeGuard[list[int]]:
    return isinstance(value, list) and all(type(v) is int and v >= 0 for v in value)


def read_tensor(
    fh: IO[bytes], entry: Entry, start: int, supported: Sequence[D.dtype]
) -> tuple[np.ndarray, D.dtype, bytes]:
    """The values of ``entry`` as a NumPy array, the tensorplug dtype to hold them (the first of
    its kind's targets in ``supported``), and the SHA-256 of its stored bytes.

    Raises:
        Refused: a dtype tensorplug cannot hold, or values its target cannot (U64 > 2**63-1).
        FormatError: the file ended early (it shrank after its header was read).
    """
    kind = KINDS[entry.code]
    if kind.refused:
        raise Refused(f"tensor {entry.name!r} has dtype {entry.code}: {kind.refused}")
    fh.seek(start + entry.begin)
    buf = np.empty(entry.nbytes, np.uint8)
    _read_into(fh, buf)
    digest = hashlib.sha256(buf.data).digest()
    stored = buf.view(np.dtype(kind.stored)).reshape(entry.shape)
    try:
        values = kind.decode(stored) if kind.decode is not None else stored
    except Refused as e:
        raise Refused(f"tensor {entry.name!r} ({entry.code}): {e}") from None
    target = next((d for d in kind.targets if d in supported), kind.targets[0])
    return values.astype(np.dtype(target.name), copy=False), target, digest


def _read_exactly(fh: IO[bytes], n: int) -> bytes:
    data = fh.read(n)
    if len(data) != n:
        raise FormatError("the file ended early (changed while it was read?)")
    return data


def _read_into(fh: IO[bytes], buf: np.ndarray) -> None:
    view = buf.data.cast("B")
    done = 0
    while done < len(view):
        got = fh.readinto(view[done:])  # type: ignore[attr-defined]
        if not got:
            raise FormatError("the file ended early (changed while it was read?)")
        done += got


# -- writing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """A tensor to write: its name, dtype code and shape (its bytes come later, one by one)."""

    name: str
    code: str
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * KINDS[self.code].bits // 8


def write(
    fh: IO[bytes],
    specs: Sequence[Spec],
    metadata: Mapping[str, str],
    fetch: Callable[[str], np.ndarray],
    checksum: bool,
) -> None:
    """Write a file to the seekable ``fh``: the header, then each tensor's bytes from
    ``fetch(name)`` (a host array of the spec's shape), one at a time, so a checkpoint of
    device tensors is never held in host memory at once. With ``checksum`` the header carries
    ``content_digest`` under ``CHECKSUM_KEY``, written over a placeholder at the end."""
    # Aligned as the ``safetensors`` package lays files out: widest elements first.
    order = sorted(specs, key=lambda s: (-KINDS[s.code].bits, s.name))
    meta = {CHECKSUM_KEY: "0" * 64} if checksum else {}
    meta.update(metadata)
    header: dict[str, Any] = {"__metadata__": meta}
    offset = 0
    for s in order:
        header[s.name] = {
            "dtype": s.code,
            "shape": list(s.shape),
            "data_offsets": [offset, offset + s.nbytes],
        }
        offset += s.nbytes
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    fh.write(struct.pack("<Q", len(raw)))
    fh.write(raw)
    digests = {}
    for s in order:
        host = np.asarray(fetch(s.name))
        if host.shape != s.shape:
            raise RuntimeError(
                f"tensorplug.save: tensor {s.name!r} read back with shape {host.shape}, "
                f"expected {s.shape}"
            )
        flat = np.asarray(host, dtype=np.dtype(KINDS[s.code].stored)).reshape(-1)
        data = np.ascontiguousarray(flat).data.cast("B")
        fh.write(data)
        digests[s.name] = hashlib.sha256(data).digest() if checksum else b""
    if checksum:  # the placeholder is the header's first value: {"__metadata__":{"...":"
        fh.seek(8 + len(f'{{"__metadata__":{{"{CHECKSUM_KEY}":"'))
        fh.write(content_digest(metadata, ((s, digests[s.name]) for s in specs)).encode())
        fh.seek(0, 2)


def content_digest(metadata: Mapping[str, str], tensors: Iterable[tuple[Any, bytes]]) -> str:
    """The checksum of a file's content, independent of its layout: SHA-256 over a tag, each
    metadata entry but the checksum (sorted by key), then each tensor sorted by name: its name,
    dtype, shape and the SHA-256 of its stored bytes. Strings are length-prefixed (8 bytes,
    little-endian) UTF-8. ``tensors`` pairs an ``Entry``/``Spec`` with its bytes' digest."""
    h = hashlib.sha256(_DIGEST_TAG)

    def put(text: str) -> None:
        b = text.encode("utf-8", "surrogatepass")
        h.update(struct.pack("<Q", len(b)) + b)

    for key in sorted(k for k in metadata if k != CHECKSUM_KEY):
        put(key)
        put(metadata[key])
    for t, digest in sorted(tensors, key=lambda p: str(p[0].name)):
        put(t.name)
        put(t.code)
        put(json.dumps(list(t.shape)))
        h.update(digest)
    return h.hexdigest()
