"""Lazy layers: ``LazyLinear``, ``LazyConv1d/2d/3d`` and ``LazyBatchNorm1d/2d/3d``, whose
input size (``in_features``, ``in_channels``, ``num_features``) is read from the first input,
as PyTorch's. Until then their parameters are ``UninitializedParameter``s; the first call
(or loading a state dict) materialises them, and the first call makes the layer the class it
stands for (``LazyLinear`` becomes a ``Linear``)."""

from __future__ import annotations

from typing import Any

from ..._grad_mode import no_grad
from ..._tensor import Tensor
from .. import init
from ..parameter import UninitializedBuffer, UninitializedParameter
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d
from .linear import Linear
from .module import Module, _factory

__all__ = [
    "LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
]  # fmt: skip

_LAZY = (UninitializedParameter, UninitializedBuffer)


class LazyModuleMixin:
    """What the lazy layers share: ``has_uninitialized_params``, the forward pre-hook that
    calls ``initialize_parameters(*input)`` once and turns the layer into ``cls_to_become``,
    and the load hook that materialises a placeholder to the shape of its checkpoint entry."""

    cls_to_become: type[Module] | None = None

    def _lazy_setup(self) -> None:
        me: Any = self
        me._initialize_hook = me.register_forward_pre_hook(_infer_parameters)
        me._register_load_state_dict_pre_hook(_lazy_load_hook, with_module=True)

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this layer has no shape yet."""
        me: Any = self
        return any(isinstance(t, _LAZY) for t in (*me._parameters.values(),
                                                  *me._buffers.values()))  # fmt: skip

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}"
        )


def _infer_parameters(module: Any, args: tuple[Any, ...]) -> None:
    module.initialize_parameters(*args)
    module._infer_sizes()  # loaded from a state dict: the sizes its tensors have
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


def _lazy_load_hook(module: Any, state_dict: Any, prefix: str, *rest: Any) -> None:
    for table in (module._parameters, module._buffers):
        for name, t in table.items():
            key = prefix + name
            if isinstance(t, _LAZY) and key in state_dict:
                with no_grad():
                    t.materialize(state_dict[key].shape)


class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is the last dim of its first input.

    Example:
        >>> import tensorplug as tp
        >>> layer = tp.nn.LazyLinear(3)
        >>> layer(tp.ones(2, 5)).shape, layer
        ((2, 3), Linear(in_features=5, out_features=3, bias=True))
    """

    cls_to_become = Linear

    def __init__(
        self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None, *,
        backend: Any = None,
    ) -> None:  # fmt: skip
        super().__init__(0, 0, False, device=device, dtype=dtype, backend=backend)
        kw = _factory(device, dtype, backend)
        self.weight = UninitializedParameter(**kw)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(**kw)
        self._lazy_setup()

    def reset_parameters(self) -> None:
        if self.in_features != 0 and not self.has_uninitialized_params():
            super().reset_parameters()

    def _infer_sizes(self) -> None:
        if not isinstance(self.weight, UninitializedParameter):
            self.in_features = self.weight.shape[1]

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConv(LazyModuleMixin):
    dims = 2

    def _lazy_conv(self, bias: bool, kw: dict[str, Any]) -> None:
        me: Any = self
        me.weight = UninitializedParameter(**kw)
        if bias:
            me.bias = UninitializedParameter(**kw)
        self._lazy_setup()

    def reset_parameters(self) -> None:
        me: Any = self
        if me.in_channels != 0 and not self.has_uninitialized_params():
            super().reset_parameters()  # type: ignore[misc]

    def _infer_sizes(self) -> None:
        me: Any = self
        if not isinstance(me.weight, UninitializedParameter):
            me.in_channels = me.weight.shape[1] * me.groups

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        me: Any = self
        if self.has_uninitialized_params():
            with no_grad():
                batched = input.ndim == self.dims + 2
                me.in_channels = input.shape[1] if batched else input.shape[0]
                if me.in_channels % me.groups:
                    raise ValueError("in_channels must be divisible by groups")
                shape = (me.out_channels, me.in_channels // me.groups, *me.kernel_size)
                me.weight.materialize(shape)
                if me.bias is not None:
                    me.bias.materialize((me.out_channels,))
                self.reset_parameters()


def _lazy_conv_class(base: Any, dims: int) -> Any:
    def __init__(  # noqa: N807 - the class's constructor, written once for the three
        self: Any, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
        dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
        device: Any = None, dtype: Any = None, *, backend: Any = None,
    ) -> None:  # fmt: skip
        base.__init__(self, 0, out_channels, kernel_size, stride, padding, dilation, groups,
                      False, padding_mode, device=device, dtype=dtype, backend=backend)  # fmt: skip
        self._lazy_conv(bias, _factory(device, dtype, backend))

    doc = (f"A ``{base.__name__}`` whose ``in_channels`` is read from its first input (dim 1, "
           "or dim 0 unbatched).")  # fmt: skip
    attrs = {"__init__": __init__, "cls_to_become": base, "dims": dims, "__doc__": doc,
             "__module__": __name__}  # fmt: skip
    return type(f"Lazy{base.__name__}", (_LazyConv, base), attrs)


LazyConv1d: Any = _lazy_conv_class(Conv1d, 1)
LazyConv2d: Any = _lazy_conv_class(Conv2d, 2)
LazyConv3d: Any = _lazy_conv_class(Conv3d, 3)


class _LazyNorm(LazyModuleMixin):
    def reset_parameters(self) -> None:
        """Weight 1, bias 0, running mean 0 and variance 1, no batches counted."""
        me: Any = self
        if me.num_features == 0 or self.has_uninitialized_params():
            return
        for t, value in ((me.weight, 1.0), (me.bias, 0.0), (me.running_mean, 0.0),
                         (me.running_var, 1.0), (me.num_batches_tracked, 0)):  # fmt: skip
            if t is not None:
                init.constant_(t, value) if t.is_floating_point() else t.zero_()

    def _infer_sizes(self) -> None:
        me: Any = self
        for t in (me.weight, me.running_mean):
            if t is not None and not isinstance(t, _LAZY):
                me.num_features = t.shape[0]

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        me: Any = self
        if self.has_uninitialized_params():
            with no_grad():
                me.num_features = input.shape[1]
                for t in (me.weight, me.bias, me.running_mean, me.running_var):
                    if t is not None:
                        t.materialize((me.num_features,))
                self.reset_parameters()


def _lazy_norm_class(base: Any) -> Any:
    def __init__(  # noqa: N807 - the class's constructor, written once for the three
        self: Any, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
        track_running_stats: bool = True, device: Any = None, dtype: Any = None, *,
        backend: Any = None,
    ) -> None:  # fmt: skip
        base.__init__(self, 0, eps, momentum, affine, track_running_stats, device=device,
                      dtype=dtype, backend=backend)  # fmt: skip
        kw = _factory(device, dtype, backend)
        if affine:
            self.weight = UninitializedParameter(**kw)
            self.bias = UninitializedParameter(**kw)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(**kw)
            self.running_var = UninitializedBuffer(**kw)
        self._lazy_setup()

    doc = f"A ``{base.__name__}`` whose ``num_features`` is read from its first input (dim 1)."
    attrs = {"__init__": __init__, "cls_to_become": base, "__doc__": doc,
             "__module__": __name__}  # fmt: skip
    return type(f"Lazy{base.__name__}", (_LazyNorm, base), attrs)


LazyBatchNorm1d: Any = _lazy_norm_class(BatchNorm1d)
LazyBatchNorm2d: Any = _lazy_norm_class(BatchNorm2d)
LazyBatchNorm3d: Any = _lazy_norm_class(BatchNorm3d)
