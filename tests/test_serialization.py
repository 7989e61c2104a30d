"""tp.save / tp.load: safetensors round trips (flat and nested), other backends, corrupt,
truncated and hand-edited files, and atomic replacement."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import nn, optim


def _same(a: tp.Tensor, b: tp.Tensor) -> None:
    assert a.dtype is b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True))


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


def test_unsupported_objects_are_refused(tmp_path: Path) -> None:
    class Thing:
        pass

    with pytest.raises(TypeError, match=r"cannot save an object of type Thing at 'a.b'"):
        tp.save({"a": {"b": Thing()}}, tmp_path / "x")
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        tp.save({(1, 2): tp.ones(1)}, tmp_path / "x")
    with pytest.raises(TypeError, match="must be a file path"):
        tp.save(tp.ones(1), 3)  # type: ignore[arg-type]
    assert not (tmp_path / "x").exists()


def test_loads_onto_requested_backend(tmp_path: Path) -> None:
    path = tmp_path / "t.safetensors"
    tp.save({"w": tp.ones(2)}, path)
    assert tp.load(path, backend="numpy")["w"].backend == "numpy"
    assert tp.load(path, map_location="cpu")["w"].device == "cpu"


def test_file_from_another_library_loads(tmp_path: Path) -> None:
    """A safetensors file written elsewhere (here by PyTorch) loads onto tensorplug."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    path = tmp_path / "torch.safetensors"
    save_file({"w": torch.arange(6, dtype=torch.float32).reshape(2, 3)}, str(path))
    w = tp.load(path)["w"]
    assert w.backend == tp.get_backend().name and w.dtype is tp.float32
    assert w.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_truncated_and_corrupt_files(tmp_path: Path) -> None:
    path = tmp_path / "c.safetensors"
    tp.save({"w": tp.randn(10, 10), "n": 3}, path)
    data = path.read_bytes()
    for cut in (4, 20, len(data) - 10):
        path.write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="not a valid tensorplug checkpoint"):
            tp.load(path)
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(RuntimeError, match="truncated, corrupt or edited"):
        tp.load(path)
    path.write_bytes(b"garbage that is not a checkpoint at all")
    with pytest.raises(RuntimeError, match="not a valid tensorplug checkpoint"):
        tp.load(path)


def _edit_header(path: Path, edit: Any) -> None:
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    edit(header)
    new = json.dumps(header).encode()
    new += b" " * (-len(new) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + data[8 + n :])


def test_hand_edited_files(tmp_path: Path) -> None:
    path = tmp_path / "e.safetensors"

    def fresh() -> None:
        tp.save({"a": tp.ones(4), "opt": {"x": tp.zeros(2)}}, path)

    fresh()
    _edit_header(path, lambda h: h["__metadata__"].update({"tensorplug.tree": "{not json"}))
    with pytest.raises(RuntimeError, match="not valid JSON"):
        tp.load(path)
    fresh()
    _edit_header(
        path, lambda h: h["__metadata__"].update({"tensorplug.tree": json.dumps({"T": "missing"})})
    )
    with pytest.raises(RuntimeError, match="names a tensor 'missing' the file does not contain"):
        tp.load(path)
    fresh()
    _edit_header(path, lambda h: h["__metadata__"].update({"tensorplug.tree": '{"X": 1}'}))
    with pytest.raises(RuntimeError, match="unknown node kind 'X'"):
        tp.load(path)
    fresh()
    _edit_header(path, lambda h: h["a"].update({"shape": [5]}))  # offsets no longer fit
    with pytest.raises(RuntimeError, match="not a valid tensorplug checkpoint"):
        tp.load(path)


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
