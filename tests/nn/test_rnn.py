"""The recurrent layers (``RNN``, ``LSTM``, ``GRU``, their cells) and ``nn.utils.rnn`` against
PyTorch: a PyTorch ``state_dict`` loads into the tensorplug layer, and outputs, final states and
every gradient agree in float64 over the options that change the computation."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import tensorplug as tp
from tensorplug import nn
from tensorplug.nn.utils import rnn as R

torch = pytest.importorskip("torch")
TR = torch.nn.utils.rnn

T, B, IN, H = 5, 3, 3, 4
LENGTHS = [5, 2, 4]


def _pair(name: str, *args: Any, **kw: Any) -> tuple[Any, Any]:
    """The PyTorch layer (float64) and ours loaded from its ``state_dict``."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kw).double()
    ours = getattr(nn, name)(*args, **kw, dtype=tp.float64)
    state = {k: tp.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    return ours, theirs


def _close(a: Any, b: Any, what: str) -> None:
    np.testing.assert_allclose(
        np.asarray(a.detach().numpy()), b.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=what
    )


def _flat(out: Any) -> list[Any]:
    if isinstance(out, (R.PackedSequence, TR.PackedSequence)):
        return [out.data]
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    return [out]


def _compare(ours: Any, theirs: Any, args: list[Any], targs: list[Any], leaves: Any) -> None:
    """Outputs, then the gradients of a random weighting of all of them, of the inputs and of
    every parameter."""
    outs, touts = _flat(ours(*args)), _flat(theirs(*targs))
    assert len(outs) == len(touts)
    rng = np.random.default_rng(1)
    loss, tloss = 0, 0
    for i, (o, t) in enumerate(zip(outs, touts)):
        assert tuple(o.shape) == tuple(t.shape), f"output {i}: {o.shape} vs {tuple(t.shape)}"
        _close(o, t, f"output {i}")
        w = rng.standard_normal(tuple(t.shape))
        loss = loss + (o * tp.tensor(w)).sum()
        tloss = tloss + (t * torch.tensor(w)).sum()
    loss.backward()
    tloss.backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        _close(p.grad, q.grad, f"grad of {name}")
    for a, b in leaves:
        _close(a.grad, b.grad, "grad of an input")


def _leaf(x: np.ndarray) -> tuple[Any, Any]:
    return tp.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


MODES = [("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"})]
GRID = list(itertools.product(MODES, (False, True), (1, 2), (False, True), (0, 2), (False, True)))


@pytest.mark.parametrize(
    "mode,bidirectional,layers,batch_first,proj,packed",
    [(m, b, n, f, p, k) for (m, b, n, f, p, k) in GRID if p == 0 or m[0] == "LSTM"],
    ids=lambda v: str(v[0] + v[1].get("nonlinearity", "")) if isinstance(v, tuple) else str(v),
)
def test_layer_matches_pytorch(
    mode: Any, bidirectional: bool, layers: int, batch_first: bool, proj: int, packed: bool
) -> None:
    name, extra = mode
    kw = dict(extra, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    if proj:
        kw["proj_size"] = proj
    ours, theirs = _pair(name, IN, H, **kw)
    rng = np.random.default_rng(0)
    shape = (B, T, IN) if batch_first else (T, B, IN)
    x, tx = _leaf(rng.standard_normal(shape))
    states = (layers * (1 + bidirectional), B)
    h0, th0 = _leaf(rng.standard_normal((*states, proj or H)))
    hx, thx, leaves = h0, th0, [(x, tx), (h0, th0)]
    if name == "LSTM":
        c0, tc0 = _leaf(rng.standard_normal((*states, H)))
        hx, thx = (h0, c0), (th0, tc0)
        leaves.append((c0, tc0))
    if packed:
        args = [R.pack_padded_sequence(x, LENGTHS, batch_first, enforce_sorted=False), hx]
        targs = [TR.pack_padded_sequence(tx, LENGTHS, batch_first, enforce_sorted=False), thx]
    else:
        args, targs = [x, hx], [tx, thx]
    _compare(ours, theirs, args, targs, leaves)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_unbatched_and_default_state(name: str, bidirectional: bool) -> None:
    ours, theirs = _pair(name, IN, H, num_layers=2, bidirectional=bidirectional)
    x, tx = _leaf(np.random.default_rng(2).standard_normal((T, IN)))
    _compare(ours, theirs, [x], [tx], [(x, tx)])


def test_sorted_packed_batch_and_dropout_in_eval() -> None:
    ours, theirs = _pair("LSTM", IN, H, num_layers=2, dropout=0.5)
    ours.eval(), theirs.eval()
    x, tx = _leaf(np.random.default_rng(3).standard_normal((T, B, IN)))
    lengths = sorted(LENGTHS, reverse=True)
    packed = R.pack_padded_sequence(x, lengths)
    assert packed.sorted_indices is None
    _compare(ours, theirs, [packed], [TR.pack_padded_sequence(tx, lengths)], [(x, tx)])


def test_inter_layer_dropout_in_training() -> None:
    net = nn.LSTM(IN, H, num_layers=2, dropout=0.5, dtype=tp.float64)
    x = tp.randn(T, B, IN, dtype=tp.float64)
    with tp.no_grad():
        out1, out2 = net(x)[0], net(x)[0]
        assert not np.allclose(out1.numpy(), out2.numpy())
        net.eval()
        np.testing.assert_array_equal(net(x)[0].numpy(), net(x)[0].numpy())


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [False, True])
@pytest.mark.parametrize("given", [False, True])
def test_cells_match_pytorch(name: str, batched: bool, given: bool) -> None:
    ours, theirs = _pair(name, IN, H)
    rng = np.random.default_rng(4)
    lead = (B,) if batched else ()
    x, tx = _leaf(rng.standard_normal((*lead, IN)))
    args, targs, leaves = [x], [tx], [(x, tx)]
    if given:
        hs = [_leaf(rng.standard_normal((*lead, H))) for _ in range(2 if name == "LSTMCell" else 1)]
        leaves += hs
        one = name != "LSTMCell"
        args.append(hs[0][0] if one else (hs[0][0], hs[1][0]))
        targs.append(hs[0][1] if one else (hs[0][1], hs[1][1]))
    _compare(ours, theirs, args, targs, leaves)


def test_parameter_layout_and_init() -> None:
    lstm = nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=2)
    ref = torch.nn.LSTM(3, 8, num_layers=2, bidirectional=True, proj_size=2)
    shapes = {n: tuple(p.shape) for n, p in lstm.named_parameters()}
    assert shapes == {n: tuple(p.shape) for n, p in ref.named_parameters()}
    bound = 1 / np.sqrt(8)
    for p in lstm.parameters():
        assert np.abs(p.detach().numpy()).max() <= bound
    assert repr(lstm) == repr(ref)
    assert len(lstm.all_weights) == 4 and len(lstm.all_weights[0]) == 5
    lstm.flatten_parameters()  # PyTorch code calls it; nothing to pack here


def test_fused_nodes_in_the_graph() -> None:
    out, (_, c) = nn.LSTM(IN, H)(tp.randn(T, B, IN))
    select = c.grad_fn.next_functions[0][0]
    assert (c.grad_fn.name(), select.name()) == ("StackBackward0", "SelectBackward0")
    assert select.next_functions[0][0].name() == "MkldnnRnnLayerBackward0"  # as PyTorch's CPU
    assert out.grad_fn.next_functions[0][0].name() == "MkldnnRnnLayerBackward0"
    packed = R.pack_padded_sequence(tp.randn(T, B, IN), LENGTHS, enforce_sorted=False)
    _, (_, c) = nn.LSTM(IN, H)(packed)  # a packed batch runs step by step: fused cells
    split = c.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert split.next_functions[0][0].name() == "ThnnFusedLstmCellBackward0"
    _, h = nn.GRU(IN, H)(tp.randn(T, B, IN))
    assert h.grad_fn.name() == "StackBackward0"
    assert h.grad_fn.next_functions[0][0].name() == "ThnnFusedGruCellBackward0"


def _gradcheck_step(fn: Any, *shapes: tuple[int, ...]) -> None:
    from tensorplug.testing import gradcheck, gradgradcheck

    rng = np.random.default_rng(5)
    xs = [tp.tensor(rng.uniform(-1, 1, s), requires_grad=True) for s in shapes]
    assert gradcheck(fn, xs, fast_mode=False)
    assert gradgradcheck(fn, xs, fast_mode=False)


def test_fused_steps_pass_gradcheck_and_gradgradcheck() -> None:
    from tensorplug.nn.functional._rnn import gru_step, lstm_step

    _gradcheck_step(lambda a, c: lstm_step(a, c), (2, 12), (2, 3))
    _gradcheck_step(gru_step, (2, 9), (2, 9), (2, 3))


# -- nn.utils.rnn ----------------------------------------------------------------------------


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["left", "right"])
def test_pad_sequence(batch_first: bool, side: str) -> None:
    rng = np.random.default_rng(6)
    seqs = [rng.standard_normal((n, 2)) for n in LENGTHS]
    ours = R.pad_sequence([tp.tensor(s) for s in seqs], batch_first, -1.0, side)
    theirs = TR.pad_sequence([torch.tensor(s) for s in seqs], batch_first, -1.0, side)
    _close(ours, theirs, "padded")


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length", [None, 7])
def test_pack_and_pad_round_trip(batch_first: bool, total_length: Any) -> None:
    x, tx = _leaf(np.random.default_rng(7).standard_normal((T, B, 2)))
    if batch_first:
        x, tx = x.transpose(0, 1), tx.transpose(0, 1)
    p = R.pack_padded_sequence(x, LENGTHS, batch_first, enforce_sorted=False)
    tp_ = TR.pack_padded_sequence(tx, LENGTHS, batch_first, enforce_sorted=False)
    _close(p.data, tp_.data, "packed data")
    assert p.batch_sizes.tolist() == tp_.batch_sizes.tolist()
    assert p.sorted_indices.tolist() == tp_.sorted_indices.tolist()
    assert p.unsorted_indices.tolist() == tp_.unsorted_indices.tolist()
    out, lengths = R.pad_packed_sequence(p, batch_first, 0.5, total_length)
    tout, tlengths = TR.pad_packed_sequence(tp_, batch_first, 0.5, total_length)
    _close(out, tout, "padded again")
    assert lengths.tolist() == tlengths.tolist()
    packed = R.pack_sequence([tp.ones(n) for n in (3, 1)])
    assert packed.batch_sizes.tolist() == [2, 1, 1]


def test_errors_as_pytorch() -> None:
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order"):
        R.pack_padded_sequence(tp.ones(T, B, 1), LENGTHS)
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D instead"):
        nn.LSTM(IN, H)(tp.ones(1, T, B, IN))
    with pytest.raises(RuntimeError, match=r"input.size\(-1\) must be equal to input_size"):
        nn.GRU(IN, H)(tp.ones(T, B, IN + 1))
    with pytest.raises(
        RuntimeError, match=r"Expected hidden\[0\] size \(1, 3, 4\), got \[2, 3, 4\]"
    ):
        nn.LSTM(IN, H)(tp.ones(T, B, IN), (tp.zeros(2, B, H), tp.zeros(1, B, H)))
    with pytest.raises(RuntimeError, match="hx should also be 3-D but got 2-D tensor"):
        nn.RNN(IN, H)(tp.ones(T, B, IN), tp.zeros(B, H))
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(IN, H, proj_size=H)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(IN, H, proj_size=2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sin'"):
        nn.RNN(IN, H, nonlinearity="sin")
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(IN, H, dropout=0.2)
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx and cx should also be 2-D"):
        nn.LSTM(IN, H)(tp.ones(T, IN), (tp.zeros(1, B, H), tp.zeros(1, B, H)))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 4 expected 3"):
        nn.GRUCell(IN, H)(tp.ones(B, IN + 1))
    with pytest.raises(RuntimeError, match="hidden0 has inconsistent hidden_size: got 5"):
        nn.GRUCell(IN, H)(tp.ones(B, IN), tp.ones(B, 5))
    with pytest.raises(ValueError, match="GRUCell: Expected hidden to be 1D or 2D, got 3D"):
        nn.GRUCell(IN, H)(tp.ones(B, IN), tp.ones(1, B, H))
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: x"):
        nn.RNNCell(IN, H, nonlinearity="x")(tp.ones(B, IN))


@pytest.mark.parametrize("name", ["LSTM", "GRU"])
def test_state_dict_saved_by_pytorch_to_safetensors_loads(name: str, tmp_path: Any) -> None:
    pytest.importorskip("safetensors")
    from safetensors.torch import save_file

    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(IN, H, num_layers=2, bidirectional=True, batch_first=True)
    save_file(theirs.state_dict(), str(tmp_path / "rnn.safetensors"))
    ours = getattr(nn, name)(IN, H, num_layers=2, bidirectional=True, batch_first=True)
    ours.load_state_dict(tp.load(tmp_path / "rnn.safetensors"))
    x = np.random.default_rng(8).standard_normal((B, T, IN)).astype(np.float32)
    with tp.no_grad(), torch.no_grad():
        out, ref = ours(tp.tensor(x))[0], theirs(torch.tensor(x))[0]
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
def test_lstm_layer_node_gradients_and_double_backward(reverse: bool) -> None:
    """The sequence node's backward from the gates forward kept, and its tensor-op form
    (``create_graph``), against finite differences in float64."""
    from tensorplug.nn.functional._rnn_layer import lstm_layer

    def layer(xw: Any, w_hh: Any, h0: Any, c0: Any) -> Any:
        out, h, c = lstm_layer(xw, w_hh, h0, c0, reverse)
        return out * 1.5, h, c * 2.0

    _gradcheck_step(layer, (4, 2, 12), (12, 3), (2, 3), (2, 3))
