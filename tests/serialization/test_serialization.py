"""tp.save / tp.load: safetensors round trips (flat and nested), other backends, files written by
the ``safetensors`` package (every dtype it knows) and files it must read, corrupt, truncated,
hand-edited and hostile files, the checksum, and how the file is replaced (atomic, through
symbolic links, read-only targets, temporary files of killed saves)."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import _safetensors as ST
from tensorplug import _serialization as S
from tensorplug import nn, optim

POSIX = os.name == "posix"
ROOT = POSIX and os.geteuid() == 0


def _same(a: tp.Tensor, b: tp.Tensor) -> None:
    assert a.dtype is b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True))


def _raw(header: Any, data: bytes = b"", length: int | None = None) -> bytes:
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(h) if length is None else length) + h + data


def _temps(directory: Path) -> list[str]:
    return [n for n in os.listdir(directory) if S.TEMP_TAG in n]


# -- round trips -----------------------------------------------------------------------------------


def test_tensor_and_dtypes_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "t.safetensors"
    values = {
        "f32": tp.randn(3, 2), "f64": tp.randn(2, dtype=tp.float64),
        "f16": tp.ones(2, dtype=tp.float16), "i64": tp.arange(5),
        "i32": tp.arange(3, dtype=tp.int32),
        "b": tp.tensor([True, False]), "scalar": tp.tensor(2.5), "empty": tp.zeros(0, 3),
        "view": tp.arange(6.0).reshape(2, 3).t(),
    }  # fmt: skip
    tp.save(values, path)
    loaded = tp.load(path)
    assert list(loaded) == list(values)
    for k in values:
        _same(loaded[k], values[k])
    tp.save(values["f32"], path)
    _same(tp.load(str(path)), values["f32"])


def test_model_state_dict_is_a_plain_safetensors_file(tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    path = tmp_path / "model.safetensors"
    tp.save(net.state_dict(), path)
    raw = load_file(str(path))
    assert sorted(raw) == sorted(net.state_dict())
    other = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    other.load_state_dict(tp.load(path))
    for a, b in zip(net.state_dict().values(), other.state_dict().values()):
        _same(a, b)


def test_nested_optimizer_checkpoint_round_trip(tmp_path: Path) -> None:
    net = nn.Linear(3, 2)
    opt = optim.Adam(net.parameters(), lr=0.01, betas=(0.8, 0.9))
    sched = optim.lr_scheduler.StepLR(opt, 2)
    net(tp.ones(4, 3)).sum().backward()
    opt.step()
    sched.step()
    ckpt = {
        "model": net.state_dict(),
        "optim": opt.state_dict(),
        "sched": sched.state_dict(),
        "epoch": 7,
        "note": "after warmup",
        "extra": [None, True, 1.5, (1, 2)],
    }
    path = tmp_path / "ckpt.safetensors"
    tp.save(ckpt, path)
    back = tp.load(path)
    assert back["epoch"] == 7 and back["note"] == "after warmup"
    assert back["extra"] == [None, True, 1.5, (1, 2)]
    assert back["optim"]["param_groups"] == opt.state_dict()["param_groups"]
    assert sorted(back["optim"]["state"]) == [0, 1]  # int keys survive
    for idx, st in opt.state_dict()["state"].items():
        for key, v in st.items():
            _same(back["optim"]["state"][idx][key], v)
    net2 = nn.Linear(3, 2)
    opt2 = optim.Adam(net2.parameters())
    net2.load_state_dict(back["model"])
    opt2.load_state_dict(back["optim"])
    assert opt2.param_groups[0]["betas"] == (0.8, 0.9)
    assert back["sched"]["last_epoch"] == 1


def test_loads_onto_requested_backend(tmp_path: Path) -> None:
    path = tmp_path / "t.safetensors"
    tp.save({"w": tp.ones(2)}, path)
    assert tp.load(path, backend="numpy")["w"].backend == "numpy"
    assert tp.load(path, map_location="cpu")["w"].device == "cpu"


def test_checkpoint_from_another_backend_loads_onto_the_current_one(tmp_path: Path) -> None:
    from tensorplug.plugins import Backend

    np_be = tp.get_backend("numpy")
    fake = Backend(name="fake", kernels=np_be.kernels, dtypes=np_be.dtypes, device_type="meta")
    net = nn.Linear(3, 2).to(fake)
    opt = optim.AdamW(net.parameters())
    net(tp.ones(2, 3, backend=fake)).sum().backward()
    opt.step()
    path = tmp_path / "fake.safetensors"
    tp.save({"model": net.state_dict(), "optim": opt.state_dict()}, path)
    back = tp.load(path)
    assert back["model"]["weight"].backend == tp.get_backend().name
    net2 = nn.Linear(3, 2)
    opt2 = optim.AdamW(net2.parameters())
    net2.load_state_dict(back["model"])
    opt2.load_state_dict(back["optim"])
    np.testing.assert_array_equal(net2.weight.detach().numpy(), net.weight.detach().numpy())
    assert opt2.state[net2.weight]["exp_avg"].backend == "numpy"
    onto_fake = tp.load(path, backend=fake)
    assert onto_fake["optim"]["state"][0]["exp_avg"].backend == "fake"


def test_missing_file_and_odd_keys(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such file"):
        tp.load(tmp_path / "nope.safetensors")
    path = tmp_path / "k.safetensors"
    odd = {"": tp.ones(1), "tensor": tp.zeros(1), "a.b": tp.ones(2), "a": {"b": tp.zeros(2)}}
    tp.save(odd, path)
    back = tp.load(path)
    _same(back[""], odd[""])
    _same(back["tensor"], odd["tensor"])
    _same(back["a.b"], odd["a.b"])
    _same(back["a"]["b"], odd["a"]["b"])


def test_keys_other_readers_could_not_take_are_renamed_in_the_file(tmp_path: Path) -> None:
    """``__metadata__`` is the header's own key, and a lone surrogate is not UTF-8: the tensors
    get other names in the file, and the structure gives the keys back unchanged."""
    from safetensors.numpy import load_file

    path = tmp_path / "k.safetensors"
    keys = {"__metadata__": tp.ones(1), "bad\ud800key": tp.zeros(2), "ok": tp.ones(3)}
    tp.save(keys, path)
    back = tp.load(path)
    assert list(back) == list(keys)
    for k in keys:
        _same(back[k], keys[k])
    assert "__metadata__" not in load_file(str(path))


# -- hostile objects -------------------------------------------------------------------------------


class _Spoof:
    """Claims to be a tensor (and a dict) through ``__class__``."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return tp.Tensor


def _cyclic_list() -> list[Any]:
    a: list[Any] = [1]
    a.append(a)
    return a


def _cyclic_dict() -> dict[str, Any]:
    d: dict[str, Any] = {"w": tp.ones(1)}
    d["self"] = {"again": d}
    return d


def _deep(n: int) -> Any:
    obj: Any = tp.ones(1)
    for _ in range(n):
        obj = [obj]
    return obj


@pytest.mark.parametrize(
    ("obj", "exc", "match"),
    [
        ({"a": {"b": object()}}, TypeError, r"cannot save an object of type object at 'a.b'"),
        ({(1, 2): tp.ones(1)}, TypeError, "dict keys must be str or int, got tuple"),
        ({True: tp.ones(1)}, TypeError, "dict keys must be str or int, got bool"),
        ({1.5: tp.ones(1)}, TypeError, "dict keys must be str or int, got float"),
        ({None: tp.ones(1)}, TypeError, "dict keys must be str or int, got NoneType"),
        ({"x": {1, 2}}, TypeError, "type set at 'x'"),
        ({"x": b"raw"}, TypeError, "type bytes at 'x'"),
        ({"x": np.ones(2)}, TypeError, "type ndarray at 'x'"),
        ({"x": lambda: 0}, TypeError, "type function at 'x'"),
        (_Spoof(), TypeError, "type _Spoof at '<root>'"),
        (_cyclic_list(), ValueError, "list at '1' contains itself"),
        (_cyclic_dict(), ValueError, "dict at 'self.again' contains itself"),
        (_deep(101), ValueError, "nest deeper than 100 levels"),
    ],
)
def test_unsupported_objects_are_refused(
    tmp_path: Path, obj: Any, exc: type[Exception], match: str
) -> None:
    path = tmp_path / "x.safetensors"
    with pytest.raises(exc, match=match):
        tp.save(obj, path)
    assert os.listdir(tmp_path) == []  # nothing written, no temporary file


def test_bad_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="must be a file path"):
        tp.save(tp.ones(1), 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a file path"):
        tp.load(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid file path"):
        tp.save(tp.ones(1), str(tmp_path / "a\0b"))
    with pytest.raises(IsADirectoryError):
        tp.save(tp.ones(1), tmp_path)
    with pytest.raises(IsADirectoryError):
        tp.save(tp.ones(1), str(tmp_path / "new") + "/")
    with pytest.raises(IsADirectoryError):
        tp.load(tmp_path)

    class Hostile:
        def __fspath__(self) -> str:
            raise ValueError("no path for you")

    with pytest.raises(ValueError, match="no path for you"):
        tp.save(tp.ones(1), Hostile())  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError, match="cannot create a file in"):
        tp.save(tp.ones(1), tmp_path / "missing_dir" / "x.safetensors")
    assert os.listdir(tmp_path) == []
    as_bytes = os.fsencode(tmp_path / "b.safetensors")
    tp.save(tp.ones(1), as_bytes)  # as open() takes them
    assert tp.load(as_bytes).tolist() == [1.0]


def test_plain_values_of_builtin_subclasses_load_as_builtins(tmp_path: Path) -> None:
    import enum

    class Color(enum.IntEnum):
        RED = 1

    class Name(str):
        def __str__(self) -> str:
            raise AssertionError("never called")

    path = tmp_path / "v.safetensors"
    big = 2**100
    nan = float("nan")
    tp.save({"c": Color.RED, "n": Name("abc"), "big": big, "nan": nan, "neg0": -0.0}, path)
    back = tp.load(path)
    assert type(back["c"]) is int and back["c"] == 1
    assert type(back["n"]) is str and back["n"] == "abc"
    assert back["big"] == big and np.isnan(back["nan"]) and str(back["neg0"]) == "-0.0"


def test_a_tensor_named_twice_in_the_structure_is_loaded_once(tmp_path: Path) -> None:
    """A hostile structure naming one big tensor a million times costs one tensor."""
    path = tmp_path / "t.safetensors"
    tp.save({"w": tp.ones(1000)}, path)
    tree = {"L": [{"T": "w"}] * 100_000}
    _edit_header(path, lambda h: h["__metadata__"].update({"tensorplug.tree": json.dumps(tree)}))
    back = tp.load(path)
    assert len(back) == 100_000 and all(t is back[0] for t in back)


def test_tensors_requiring_grad_and_parameters_are_saved_detached(tmp_path: Path) -> None:
    path = tmp_path / "p.safetensors"
    x = tp.ones(2, requires_grad=True)
    tp.save({"x": x * 2, "p": nn.Parameter(tp.zeros(1))}, path)
    back = tp.load(path)
    assert not back["x"].requires_grad and back["x"].tolist() == [2.0, 2.0]
    assert type(back["p"]) is tp.Tensor


# -- other writers, other readers ------------------------------------------------------------------


def test_file_from_another_library_loads(tmp_path: Path) -> None:
    """A safetensors file written elsewhere (here by PyTorch) loads onto tensorplug."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    path = tmp_path / "torch.safetensors"
    save_file({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, str(path))
    w = tp.load(path)["w"]
    assert w.backend == tp.get_backend().name and w.dtype is tp.float32
    assert w.tolist() == [[0, 1, 2], [3, 4, 5]]


def _torch_dtypes(torch: Any) -> dict[str, tuple[Any, tp.dtype]]:
    """safetensors dtype -> (torch dtype, the tensorplug dtype it loads as)."""
    return {
        "BOOL": (torch.bool, tp.bool), "U8": (torch.uint8, tp.int32),
        "I8": (torch.int8, tp.int32), "I16": (torch.int16, tp.int32),
        "U16": (torch.uint16, tp.int32), "I32": (torch.int32, tp.int32),
        "U32": (torch.uint32, tp.int64), "I64": (torch.int64, tp.int64),
        "U64": (torch.uint64, tp.int64), "F16": (torch.float16, tp.float16),
        "BF16": (torch.bfloat16, tp.float32), "F32": (torch.float32, tp.float32),
        "F64": (torch.float64, tp.float64),
        "F8_E4M3": (torch.float8_e4m3fn, tp.float16), "F8_E5M2": (torch.float8_e5m2, tp.float16),
        "F8_E4M3FNUZ": (torch.float8_e4m3fnuz, tp.float16),
        "F8_E5M2FNUZ": (torch.float8_e5m2fnuz, tp.float16),
        "F8_E8M0": (torch.float8_e8m0fnu, tp.float32),
    }  # fmt: skip


def test_every_dtype_safetensors_torch_writes_loads_exactly(tmp_path: Path) -> None:
    """Each dtype as PyTorch writes it, at its extremes (every one of the 256 codes of the 8-bit
    floats), loads with the same values, as itself or as the narrowest dtype holding them."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    dtypes = _torch_dtypes(torch)
    tensors = {}
    for code, (td, _) in dtypes.items():
        if td.is_floating_point and td.itemsize == 1:
            t = torch.arange(256, dtype=torch.uint8).view(td)
        elif td.is_floating_point:
            t = torch.tensor([0.0, -0.0, 1.5, -2.25, float("inf"), float("nan")]).to(td)
            t = torch.cat([t, torch.tensor([torch.finfo(td).max, torch.finfo(td).tiny]).to(td)])
        elif td is torch.bool:
            t = torch.tensor([True, False, True])
        else:
            info = torch.iinfo(td)
            hi = min(info.max, 2**63 - 1)  # U64 above int64's range: see the refusal test
            t = torch.tensor([info.min, 0, 1, hi], dtype=torch.int64).to(td)
        tensors[code] = t.reshape(2, -1) if code == "F32" else t
    path = tmp_path / "all.safetensors"
    save_file(tensors, str(path), metadata={"source": "torch"})
    back = tp.load(path)
    assert sorted(back) == sorted(tensors)
    for code, (_, want) in dtypes.items():
        got = back[code]
        assert got.dtype is want, code
        ref = tensors[code]
        ref = ref.to(torch.float64) if ref.is_floating_point() else ref.to(torch.int64)
        np.testing.assert_array_equal(got.numpy().astype(ref.numpy().dtype), ref.numpy(), code)


def test_every_dtype_safetensors_numpy_writes_loads(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    arrays = {
        name: np.arange(-3, 3).astype(name).reshape(2, 3)
        for name in ("int8", "int16", "int32", "int64", "float16", "float32", "float64")
    }
    arrays.update(
        {n: np.arange(6).astype(n) for n in ("uint8", "uint16", "uint32", "uint64")},
        bool=np.array([[True], [False]]),
        scalar=np.array(3.5, np.float32),
        empty=np.zeros((0, 4), np.float64),
    )
    path = tmp_path / "np.safetensors"
    save_file(arrays, str(path))
    back = tp.load(path)
    for name, a in arrays.items():
        assert back[name].shape == a.shape, name
        np.testing.assert_array_equal(back[name].numpy(), a, name)


def test_a_backend_without_float16_gets_8_bit_floats_as_float32(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    from tensorplug.plugins import Backend

    base = tp.get_backend("numpy")
    no16 = Backend(
        name="no_f16",
        kernels=base.kernels,
        dtypes={d: n for d, n in base.dtypes.items() if d is not tp.float16},
    )
    path = tmp_path / "f8.safetensors"
    save_file({"q": torch.tensor([0.5, -3.0]).to(torch.float8_e4m3fn)}, str(path))
    assert tp.load(path)["q"].dtype is tp.float16
    q = tp.load(path, backend=no16)["q"]
    assert q.dtype is tp.float32 and q.tolist() == [0.5, -3.0]


def test_dtypes_tensorplug_cannot_hold_are_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "r.safetensors"
    for code, shape, nbytes, why in [
        ("C64", [2], 16, "dtype C64: complex numbers"),
        ("F4", [4], 2, "dtype F4: 4-bit floats packed two to a byte"),
        ("F6_E2M3", [4], 3, "dtype F6_E2M3: 6-bit floats"),
    ]:
        entry = {"dtype": code, "shape": shape, "data_offsets": [0, nbytes]}
        path.write_bytes(_raw({"z": entry}, b"\0" * nbytes))
        with pytest.raises(
            RuntimeError, match=re.escape(f"cannot load '{path}': tensor 'z' has {why}")
        ):
            tp.load(path)
    big = np.array([1, 2**63], np.uint64)
    entry = {"dtype": "U64", "shape": [2], "data_offsets": [0, 16]}
    path.write_bytes(_raw({"u": entry}, big.tobytes()))
    with pytest.raises(RuntimeError, match=r"tensor 'u' \(U64\): it holds values above 2\*\*63"):
        tp.load(path)


def test_bool_bytes_other_than_0_and_1_are_true(tmp_path: Path) -> None:
    path = tmp_path / "b.safetensors"
    entry = {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}
    path.write_bytes(_raw({"m": entry}, b"\x00\x02\xff"))
    assert tp.load(path)["m"].tolist() == [False, True, True]


def test_files_tensorplug_writes_load_in_safetensors(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = tmp_path / "mine.safetensors"
    values = {
        "f32": tp.randn(3, 2), "f64": tp.randn(2, dtype=tp.float64),
        "f16": tp.tensor([1.5, -0.0], dtype=tp.float16), "i64": tp.arange(5),
        "i32": tp.tensor([-(2**31), 2**31 - 1], dtype=tp.int32),
        "b": tp.tensor([True, False]), "scalar": tp.tensor(2.5), "empty": tp.zeros(0, 3),
        "view": tp.arange(6.0).reshape(2, 3).t()[:, 1:],
    }  # fmt: skip
    for checksum in (False, True):
        tp.save(values, path, checksum=checksum)
        theirs = load_file(str(path))
        assert sorted(theirs) == sorted(values)
        for k, v in values.items():
            t = theirs[k]
            assert str(t.dtype) == f"torch.{v.dtype.name}" and tuple(t.shape) == v.shape, k
            np.testing.assert_array_equal(t.numpy(), v.numpy(), k)
        with safe_open(str(path), "pt") as f:
            assert f.metadata()["format"] == "pt"
            assert (ST.CHECKSUM_KEY in f.metadata()) == checksum
    nested = tmp_path / "nested.safetensors"
    tp.save({"model": {"w": tp.ones(2)}, "step": 3}, nested, checksum=True)
    assert load_file(str(nested))["model.w"].tolist() == [1.0, 1.0]
    assert torch is not None


# -- corrupt, truncated and hand-edited files ------------------------------------------------------


def test_truncated_and_corrupt_files(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    tp.save({"w": tp.randn(10, 10), "n": 3}, path)
    data = path.read_bytes()
    for cut in range(len(data)):  # every truncation
        path.write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="not a valid tensorplug checkpoint"):
            tp.load(path)
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(RuntimeError, match="truncated, corrupt or edited"):
        tp.load(path)
    path.write_bytes(b"garbage that is not a checkpoint at all")
    with pytest.raises(RuntimeError, match="not a valid tensorplug checkpoint"):
        tp.load(path)
    path.write_bytes(data + b"\0")
    with pytest.raises(RuntimeError, match="extra bytes at the end"):
        tp.load(path)


_F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


def _f32(data: bytes = b"\0" * 8, **changes: Any) -> bytes:
    """A file of one F32 tensor ``a`` whose description has ``changes``."""
    return _raw({"a": {**_F32, **changes}}, data)


_DUPLICATE = b'{"a":%s,"a":%s}' % (json.dumps(_F32).encode(), json.dumps(_F32).encode())
# (name, file bytes, message, whether the safetensors package rejects the file too)
_CORRUPT_HEADERS: list[tuple[str, bytes, str, bool]] = [
    ("short", b"\x05\0\0", "shorter than the 8-byte header length", True),
    ("length_past_end", _raw({"a": _F32}, b"\0" * 8, length=10**6), "runs past the end", True),
    ("length_huge", _raw(b"{}", length=2**64 - 1), "runs past the end", True),
    ("not_utf8", _raw(b'{"\xff":1}  '), "not valid JSON", True),
    ("not_json", _raw(b"{nope}  "), "not valid JSON", True),
    ("json_array", _raw(b"[1, 2]  "), "is a JSON list, not an object", True),
    ("nul_padding", _raw(b"{}\0\0\0\0\0\0"), "not valid JSON", True),
    ("deep_json", _raw(b"[" * 100_000 + b"]" * 100_000), "not valid JSON", True),
    ("huge_int", _raw(b'{"a":' + b"9" * 5000 + b"}"), "not valid JSON", True),
    # The package keeps one of two tensors of one name; which one is anyone's guess.
    ("duplicate_name", _raw(_DUPLICATE, b"\0" * 8), "the key 'a' appears twice", False),
    ("metadata_not_str", _raw({"__metadata__": {"x": 5}}), "not a table of strings", True),
    ("metadata_list", _raw({"__metadata__": ["x"]}), "not a table of strings", True),
    ("entry_list", _raw({"a": [1]}), "tensor 'a' is described by a JSON list", True),
    ("unknown_dtype", _f32(dtype="F128"), "unknown dtype 'F128'", True),
    ("dtype_missing", _raw({"a": {"shape": [2], "data_offsets": [0, 8]}}), "unknown dtype", True),
    ("shape_negative", _f32(shape=[-2]), "invalid shape [-2]", True),
    ("shape_bool", _f32(shape=[True, 2]), "invalid shape", True),
    ("shape_float", _f32(shape=[2.0]), "invalid shape", True),
    ("shape_str", _f32(shape="2"), "invalid shape", True),
    ("shape_ndim", _f32(shape=[1] * 65 + [2]), "invalid shape", False),
    ("shape_wrong_size", _f32(shape=[3]), "needs 12 bytes", True),
    # NumPy cannot make this empty array (the package fails with NumPy's ValueError).
    (
        "shape_huge_zero",
        _f32(b"", shape=[0, 2**62, 2**62], data_offsets=[0, 0]),
        "too large",
        False,
    ),
    ("shape_overflow", _f32(b"", shape=[2**40, 2**40], data_offsets=[0, 0]), "too large", True),
    ("offsets_reversed", _f32(data_offsets=[8, 0]), "invalid data_offsets", True),
    ("offsets_one", _f32(data_offsets=[0]), "invalid data_offsets", True),
    ("offsets_negative", _f32(data_offsets=[-8, 0]), "invalid data_offsets", True),
    ("offsets_past_end", _f32(data_offsets=[8, 16]), "leaves a gap", True),
    ("offsets_overlap", _raw({"a": _F32, "b": _F32}, b"\0" * 8), "overlaps another tensor", True),
    ("trailing_bytes", _f32(b"\0" * 9), "extra bytes at the end", True),
    ("data_short", _f32(b"\0" * 7), "truncated", True),
]


@pytest.mark.parametrize(
    ("data", "match", "theirs_too"),
    [c[1:] for c in _CORRUPT_HEADERS],
    ids=[c[0] for c in _CORRUPT_HEADERS],
)
def test_corrupt_headers_raise_runtime_error_naming_file_and_problem(
    tmp_path: Path, data: bytes, match: str, theirs_too: bool
) -> None:
    from safetensors import SafetensorError, safe_open

    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(RuntimeError) as err:
        tp.load(path)
    msg = str(err.value)
    assert repr(str(path)) in msg and match in msg, msg
    if theirs_too:  # the reference implementation agrees that the file is invalid
        with pytest.raises((SafetensorError, ValueError)), safe_open(str(path), "numpy") as f:
            for k in f.keys():  # noqa: SIM118 - safe_open is not a mapping
                f.get_tensor(k)


def _edit_header(path: Path, edit: Any) -> None:
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    edit(header)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + data[8 + n :])


def _deep_tree(n: int) -> Any:
    node: Any = {"V": 1}
    for _ in range(n):
        node = {"L": [node]}
    return node


def _tree(value: Any) -> Any:
    return lambda h: h["__metadata__"].update({"tensorplug.tree": value})


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (_tree("{not json"), "not valid JSON"),
        (_tree("[" * 100_000), "not valid JSON"),
        (_tree(json.dumps({"T": "missing"})), "names a tensor 'missing' the file does not contain"),
        (_tree('{"X": 1}'), 'unknown node kind "X"'),
        (_tree("[1, 2]"), "malformed node [1, 2]"),
        (_tree("{}"), "malformed node {}"),
        (_tree('{"T": "a", "V": 1}'), "malformed node"),
        (_tree('{"T": ["a"]}'), 'names a tensor by a non-string ["a"]'),
        (_tree('{"D": 5}'), "'D' node holds 5"),
        (_tree('{"D": [[1]]}'), "malformed dict item [1]"),
        (_tree('{"D": [[[1], {"V": 1}]]}'), "malformed dict item"),
        (_tree('{"D": [[null, {"V": 1}]]}'), "malformed dict item"),
        (_tree('{"D": [5]}'), "malformed dict item 5"),
        (_tree('{"L": 3}'), "'L' node holds 3"),
        (_tree('{"U": {"a": 1}}'), "'U' node holds"),
        (_tree('{"V": [1, 2]}'), "non-scalar value [1, 2]"),
        (_tree('{"V": {"T": "a"}}'), "non-scalar value"),
        (_tree(json.dumps(_deep_tree(150))), "nests deeper than 100 levels"),
        (lambda h: h["__metadata__"].update({"tensorplug.format": "2"}), 'checkpoint format "2"'),
        (lambda h: h["__metadata__"].pop("tensorplug.format"), "has no format version"),
        (lambda h: h["a"].update({"shape": [5]}), "needs 20 bytes"),
        (lambda h: h["a"].update({"dtype": "I8"}), "needs 4 bytes"),
        (lambda h: h.update({"__metadata__": {"tensorplug.tree": 5}}), "table of strings"),
    ],
)
def test_hand_edited_files(tmp_path: Path, edit: Any, match: str) -> None:
    path = tmp_path / "e.safetensors"
    tp.save({"a": tp.ones(4), "opt": {"x": tp.zeros(2)}}, path)
    _edit_header(path, edit)
    with pytest.raises(RuntimeError, match=re.escape(match)) as err:
        tp.load(path)
    assert repr(str(path)) in str(err.value)


def test_special_files_are_not_read(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(RuntimeError, match="is not a regular file"):
        tp.load(fifo)  # reading it would block forever


# -- the checksum ----------------------------------------------------------------------------------


def test_checksum_is_verified(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    tp.save({"w": tp.arange(16.0), "cfg": {"lr": 0.1}}, path, checksum=True)
    assert tp.load(path)["cfg"] == {"lr": 0.1}
    good = path.read_bytes()
    # One flipped bit anywhere (data, header, the digest itself) is found.
    for i in range(len(good)):
        bad = bytearray(good)
        bad[i] ^= 1 << (i % 8)
        path.write_bytes(bytes(bad))
        with pytest.raises(RuntimeError, match=re.escape(repr(str(path)))):
            tp.load(path)
    path.write_bytes(good)
    _edit_header(path, _tree(json.dumps({"D": [["w", {"T": "w"}], ["cfg", {"V": 2}]]})))
    with pytest.raises(RuntimeError, match="fails its checksum"):
        tp.load(path)
    path.write_bytes(good)
    _edit_header(path, lambda h: h["__metadata__"].update({ST.CHECKSUM_KEY: "abc"}))
    with pytest.raises(RuntimeError, match="is not a SHA-256 hex digest"):
        tp.load(path)
    path.write_bytes(good)
    _edit_header(path, lambda h: h["__metadata__"].pop(ST.CHECKSUM_KEY))
    with pytest.raises(RuntimeError, match="its format promises a checksum, but it has none"):
        tp.load(path)


def test_without_checksum_data_corruption_goes_unnoticed(tmp_path: Path) -> None:
    """What the docs say: the structure is always checked, the bytes of tensors only with a
    checksum."""
    path = tmp_path / "c.safetensors"
    tp.save({"w": tp.zeros(4)}, path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x40
    path.write_bytes(bytes(data))
    assert tp.load(path)["w"].tolist()[-1] != 0.0


def test_checksum_is_not_a_signature(tmp_path: Path) -> None:
    """Anyone who edits a file can remove the checksum, or compute a new one: it finds
    accidents, not tampering (docs/serialization.md)."""
    import hashlib

    path = tmp_path / "c.safetensors"
    tp.save({"w": tp.zeros(2)}, path, checksum=True)
    data = bytearray(path.read_bytes())
    data[-4:] = np.float32(5).tobytes()  # w[1] = 5
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="fails its checksum"):
        tp.load(path)

    def forge(h: dict[str, Any]) -> None:
        meta = h["__metadata__"]
        entry = ST.Entry("w", "F32", (2,), 0, 8)
        digest = hashlib.sha256(bytes(data[-8:])).digest()
        meta[ST.CHECKSUM_KEY] = ST.content_digest(meta, [(entry, digest)])

    _edit_header(path, forge)
    assert tp.load(path)["w"].tolist() == [0.0, 5.0]

    def strip(h: dict[str, Any]) -> None:
        h["__metadata__"].pop(ST.CHECKSUM_KEY)
        h["__metadata__"]["tensorplug.format"] = "1"

    _edit_header(path, strip)
    assert tp.load(path)["w"].tolist() == [0.0, 5.0]


def test_checksum_does_not_depend_on_the_layout(tmp_path: Path) -> None:
    """Rewritten by the safetensors package (its own layout and header order), with the
    metadata kept, the file still verifies: the digest covers content, not bytes' places."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    path = tmp_path / "c.safetensors"
    values = {"z": tp.ones(3, dtype=tp.float64), "a": tp.arange(5, dtype=tp.int32)}
    tp.save({**values, "m": tp.tensor([True])}, path, checksum=True)
    with safe_open(str(path), "numpy") as f:
        meta, arrays = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    other = tmp_path / "other.safetensors"
    # The package writes its header in a hash map's order, which may happen to be ours: it
    # is rewritten until the bytes differ (a new order each time, so a few tries at most).
    for _ in range(50):
        save_file(dict(reversed(arrays.items())), str(other), metadata=meta)
        if other.read_bytes() != path.read_bytes():
            break
    assert other.read_bytes() != path.read_bytes()
    assert tp.load(other)["z"].tolist() == [1.0, 1.0, 1.0]
    arrays["a"][0] = 7
    save_file(arrays, str(other), metadata=meta)
    with pytest.raises(RuntimeError, match="fails its checksum"):
        tp.load(other)


def test_checksum_covers_tensors_the_structure_does_not_name(tmp_path: Path) -> None:
    from safetensors.numpy import save_file

    path = tmp_path / "c.safetensors"
    tp.save({"w": tp.ones(2)}, path, checksum=True)
    from safetensors import safe_open

    with safe_open(str(path), "numpy") as f:
        meta, arrays = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118
    save_file({**arrays, "extra": np.zeros(2, np.float32)}, str(path), metadata=meta)
    with pytest.raises(RuntimeError, match="fails its checksum"):
        tp.load(path)


# -- writing the file ------------------------------------------------------------------------------


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ckpt.safetensors"
    tp.save({"w": tp.ones(3)}, path)
    before = path.read_bytes()

    def crash(src: Any, dst: Any) -> None:
        raise KeyboardInterrupt("killed during save")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        tp.save({"w": tp.zeros(1000)}, path)
    assert path.read_bytes() == before  # the previous checkpoint survives
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # no temporary file left behind
    monkeypatch.undo()
    tp.save({"w": tp.zeros(2)}, path)
    _same(tp.load(path)["w"], tp.zeros(2))
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_never_pickles(tmp_path: Path) -> None:
    path = tmp_path / "p.safetensors"
    tp.save({"w": tp.ones(2)}, path)
    assert b"\x80\x04" not in path.read_bytes()[:2]  # not a pickle stream
    import pickle

    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(nn.Parameter(tp.ones(1)))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links here")
def test_saving_through_a_symlink_writes_its_target(tmp_path: Path) -> None:
    real = tmp_path / "data" / "real.safetensors"
    real.parent.mkdir()
    tp.save({"w": tp.ones(2)}, real)
    link = tmp_path / "latest.safetensors"
    link.symlink_to(real)
    chain = tmp_path / "chain.safetensors"
    chain.symlink_to(link)
    tp.save({"w": tp.zeros(2)}, link)
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert tp.load(real)["w"].tolist() == [0.0, 0.0]
    tp.save({"w": tp.full((2,), 3.0)}, chain)
    assert chain.is_symlink() and link.is_symlink()
    assert tp.load(real)["w"].tolist() == [3.0, 3.0]
    dangling = tmp_path / "dangling.safetensors"
    dangling.symlink_to(tmp_path / "data" / "new.safetensors")
    tp.save({"w": tp.ones(1)}, dangling)
    assert dangling.is_symlink()
    assert tp.load(tmp_path / "data" / "new.safetensors")["w"].tolist() == [1.0]
    assert _temps(tmp_path) == [] and _temps(real.parent) == []
    loop = tmp_path / "loop.safetensors"
    loop.symlink_to(loop)
    with pytest.raises(OSError, match=r"tensorplug\.save: cannot write"):
        tp.save({"w": tp.ones(1)}, loop)


@pytest.mark.skipif(not POSIX, reason="POSIX permission bits")
def test_a_read_only_target_is_refused(tmp_path: Path) -> None:
    """As ``open(path, "wb")`` refuses it; for root too (whom the OS would let write)."""
    path = tmp_path / "ro.safetensors"
    tp.save({"w": tp.ones(2)}, path)
    before = path.read_bytes()
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only") as err:
        tp.save({"w": tp.zeros(2)}, path)
    assert err.value.filename == str(path)
    assert path.read_bytes() == before and _temps(tmp_path) == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


@pytest.mark.skipif(not POSIX or ROOT, reason="root may write into a read-only directory")
def test_a_read_only_directory_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    try:
        with pytest.raises(PermissionError, match=re.escape(f"cannot write '{d / 'x'}'")):
            tp.save({"w": tp.ones(2)}, d / "x")
    finally:
        d.chmod(0o755)


@pytest.mark.skipif(not POSIX, reason="POSIX permission bits")
def test_file_mode_is_kept_or_follows_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    old = os.umask(0o027)
    try:
        tp.save({"w": tp.ones(1)}, path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # as open() would create it
    path.chmod(0o600)
    tp.save({"w": tp.ones(1)}, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_saving_to_a_pipe_writes_into_it(tmp_path: Path) -> None:
    """A target that is not a regular file (a pipe, /dev/null) is written into, as open()
    would, never replaced by a regular file. (A pipe in tmp_path stands in for /dev/null: a
    regression must not be able to replace a system file.)"""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so the writer's open() returns
    try:
        tp.save({"w": tp.ones(2)}, fifo, checksum=True)  # small: fits the pipe's buffer
        data = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    copy = tmp_path / "copy.safetensors"
    copy.write_bytes(data)
    assert tp.load(copy)["w"].tolist() == [1.0, 1.0]


_TEMP_NAME = re.compile(r"^\.ckpt\.safetensors\.tp-save\.[A-Za-z0-9_-]+\.(\d+)\.[0-9a-f]{8}\.tmp$")


@pytest.mark.skipif(not POSIX, reason="SIGKILL")
@pytest.mark.parametrize("unnamed", [True, False], ids=["O_TMPFILE", "named_temp"])
def test_a_killed_save_leaves_nothing_or_a_recognisable_file_the_next_save_removes(
    tmp_path: Path, unnamed: bool
) -> None:
    """Killed while writing: on Linux the data was in an unnamed file, which vanishes with the
    process; elsewhere (here: O_TMPFILE taken away) the temporary file is named as documented,
    and the next save of the target removes it once its process is gone."""
    if unnamed and S._unnamed_file(str(tmp_path)) is None:
        pytest.skip("no O_TMPFILE here")
    path = tmp_path / "ckpt.safetensors"
    tp.save({"w": tp.ones(3)}, path)
    before = path.read_bytes()
    killed = (
        "import os, signal, sys\n"
        "import tensorplug as tp\n"
        + ("" if unnamed else "del os.O_TMPFILE  # as on a system without it\n")
        + "os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)  # killed mid-save\n"
        "tp.save({'w': tp.zeros(1000)}, sys.argv[1])\n"
    )
    r = subprocess.run([sys.executable, "-c", killed, str(path)], timeout=120)
    assert r.returncode == -signal.SIGKILL
    assert path.read_bytes() == before  # the checkpoint is intact
    left = _temps(tmp_path)
    if unnamed:
        assert left == [] and os.listdir(tmp_path) == ["ckpt.safetensors"]
        return
    assert len(left) == 1 and _TEMP_NAME.match(left[0]), left
    live = f".ckpt.safetensors{S.TEMP_TAG}{S._host()}.{os.getpid()}.0123abcd.tmp"
    other_host = f".ckpt.safetensors{S.TEMP_TAG}elsewhere.1.0123abcd.tmp"
    for name in (live, other_host):
        (tmp_path / name).write_bytes(b"")
    tp.save({"w": tp.zeros(2)}, path)
    # The dead process's file is gone; a live process's, and another host's, are kept.
    assert sorted(_temps(tmp_path)) == sorted([live, other_host])
    assert tp.load(path)["w"].tolist() == [0.0, 0.0]


def test_without_o_tmpfile_the_named_temp_file_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    path = tmp_path / "n.safetensors"
    seen = []
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        seen.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    tp.save({"w": tp.ones(2)}, path)
    assert len(seen) == 1 and re.match(r"^\.n\.safetensors\.tp-save\.", seen[0])
    assert tp.load(path)["w"].tolist() == [1.0, 1.0] and _temps(tmp_path) == []
