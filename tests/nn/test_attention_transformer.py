"""Issue 17's attention layers against PyTorch: ``MultiheadAttention`` and the transformer
modules load a PyTorch ``state_dict`` and give its outputs and gradients (float64, eval and
train mode with dropout 0); their parameter names, masks and errors are PyTorch's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorplug as tp

torch = pytest.importorskip("torch")

E, H = 8, 2


def _load(theirs: Any, ours: Any) -> None:
    assert list(theirs.state_dict()) == list(ours.state_dict())
    state = {k: tp.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    result = ours.load_state_dict(state)
    assert not result.missing_keys and not result.unexpected_keys


def _close(ours: Any, theirs: Any, atol: float = 1e-12) -> None:
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol)


def _grads_close(ours: Any, theirs: Any, atol: float = 1e-11) -> None:
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), atol=atol, err_msg=name)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"batch_first": True}, {"kdim": 5, "vdim": 6}, {"bias": False},
     {"add_bias_kv": True, "add_zero_attn": True}],
    ids=["default", "batch_first", "kdim_vdim", "no_bias", "bias_kv_zero_attn"],
)  # fmt: skip
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_matches_pytorch(
    kwargs: dict[str, Any], need_weights: bool, average: bool
) -> None:
    rng = np.random.default_rng(0)
    theirs = torch.nn.MultiheadAttention(E, H, **kwargs).double()
    ours = tp.nn.MultiheadAttention(E, H, **kwargs, dtype=tp.float64)
    _load(theirs, ours)
    bf = kwargs.get("batch_first", False)
    q = rng.standard_normal((2, 3, E) if bf else (3, 2, E))
    k = rng.standard_normal((2, 4, kwargs.get("kdim", E)) if bf else (4, 2, kwargs.get("kdim", E)))
    v = rng.standard_normal((2, 4, kwargs.get("vdim", E)) if bf else (4, 2, kwargs.get("vdim", E)))
    kpm = np.zeros((2, 4), bool)
    kpm[0, 1] = True
    mask = rng.random((3, 4)) > 0.7
    mask[:, 0] = False
    args = [(x, torch.tensor(x, requires_grad=True)) for x in (q, k, v)]
    ours_in = [tp.tensor(x, requires_grad=True) for x in (q, k, v)]
    kw = {"need_weights": need_weights, "average_attn_weights": average}
    o, w = ours(*ours_in, key_padding_mask=tp.tensor(kpm), attn_mask=tp.tensor(mask), **kw)
    to, tw = theirs(*(t for _, t in args), key_padding_mask=torch.tensor(kpm),
                    attn_mask=torch.tensor(mask), **kw)  # fmt: skip
    _close(o, to)
    assert (w is None) == (tw is None)
    if w is not None:
        _close(w, tw)
    o.sum().backward()
    to.sum().backward()
    _grads_close(ours, theirs)
    for x, (_, t) in zip(ours_in, args):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-11)


def test_multihead_attention_unbatched_and_float_mask() -> None:
    rng = np.random.default_rng(1)
    theirs = torch.nn.MultiheadAttention(E, H).double()
    ours = tp.nn.MultiheadAttention(E, H, dtype=tp.float64)
    _load(theirs, ours)
    x, m = rng.standard_normal((3, E)), rng.standard_normal((3, 3))
    o, w = ours(*(tp.tensor(x),) * 3, attn_mask=tp.tensor(m))
    to, tw = theirs(*(torch.tensor(x),) * 3, attn_mask=torch.tensor(m))
    _close(o, to)
    _close(w, tw)


def test_multihead_attention_layout_and_errors() -> None:
    mha = tp.nn.MultiheadAttention(E, H, kdim=3)
    assert [n for n, _ in mha.named_parameters()] == [
        n for n, _ in torch.nn.MultiheadAttention(E, H, kdim=3).named_parameters()
    ]
    assert type(mha.out_proj).__name__ == "NonDynamicallyQuantizableLinear"
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        tp.nn.MultiheadAttention(7, 2)
    x = tp.ones(2, 1, E)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        tp.nn.MultiheadAttention(E, H)(x, x, x, is_causal=True)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"norm_first": True, "batch_first": True, "activation": "gelu"}, {"bias": False}],
    ids=["post_norm", "pre_norm_gelu_batch_first", "no_bias"],
)
@pytest.mark.parametrize("train", [False, True])
@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning")
def test_transformer_matches_pytorch(kwargs: dict[str, Any], train: bool) -> None:
    rng = np.random.default_rng(2)
    theirs = torch.nn.Transformer(E, H, 2, 2, 16, dropout=0.0, **kwargs).double()
    ours = tp.nn.Transformer(E, H, 2, 2, 16, dropout=0.0, dtype=tp.float64, **kwargs)
    _load(theirs, ours)
    theirs.train(train)
    ours.train(train)
    bf = kwargs.get("batch_first", False)
    src = rng.standard_normal((2, 3, E) if bf else (3, 2, E))
    tgt = rng.standard_normal((2, 4, E) if bf else (4, 2, E))
    kpm = np.zeros((2, 3), bool)
    kpm[1, 2] = True
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    mask = tp.nn.Transformer.generate_square_subsequent_mask(4, dtype=tp.float64)
    assert mask.tolist() == tmask.tolist()
    o = ours(tp.tensor(src), tp.tensor(tgt), tgt_mask=mask, src_key_padding_mask=tp.tensor(kpm),
             memory_key_padding_mask=tp.tensor(kpm))  # fmt: skip
    tkpm = torch.tensor(kpm)
    to = theirs(torch.tensor(src), torch.tensor(tgt), tgt_mask=tmask, src_key_padding_mask=tkpm,
                memory_key_padding_mask=tkpm)  # fmt: skip
    # tensorplug's exact GELU is a Chebyshev fit of erfc, to 1.2e-7 relative
    atol = 1e-6 if kwargs.get("activation") == "gelu" else 1e-12
    _close(o, to, atol)
    (o * o).sum().backward()
    (to * to).sum().backward()
    _grads_close(ours, theirs, max(atol, 1e-11))


def test_encoder_layer_callable_activation_and_causal() -> None:
    rng = np.random.default_rng(3)
    kw: dict[str, Any] = {"dropout": 0.0, "batch_first": True}
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(E, H, 16, activation=torch.tanh, **kw), 2,
        enable_nested_tensor=False,
    ).double()  # fmt: skip
    ours = tp.nn.TransformerEncoder(
        tp.nn.TransformerEncoderLayer(E, H, 16, activation=tp.tanh, dtype=tp.float64, **kw), 2
    )
    _load(theirs, ours)
    x = rng.standard_normal((2, 5, E))
    m = tp.nn.Transformer.generate_square_subsequent_mask(5, dtype=tp.float64)
    tm = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    _close(
        ours(tp.tensor(x), mask=m, is_causal=True), theirs(torch.tensor(x), mask=tm, is_causal=True)
    )
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not swish"):
        tp.nn.TransformerEncoderLayer(E, H, activation="swish")


def test_decoder_stack_matches_pytorch() -> None:
    rng = np.random.default_rng(4)
    theirs = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(E, H, 16, dropout=0.0), 2, torch.nn.LayerNorm(E)
    ).double()
    ours = tp.nn.TransformerDecoder(
        tp.nn.TransformerDecoderLayer(E, H, 16, dropout=0.0, dtype=tp.float64), 2,
        tp.nn.LayerNorm(E, dtype=tp.float64),
    )  # fmt: skip
    _load(theirs, ours)
    tgt, mem = rng.standard_normal((4, 2, E)), rng.standard_normal((3, 2, E))
    _close(ours(tp.tensor(tgt), tp.tensor(mem)), theirs(torch.tensor(tgt), torch.tensor(mem)))
