"""``nn.Module``, the base class of every layer and model.

The contract is PyTorch's: assigning a ``Parameter``, a ``Module`` or a registered buffer to an
attribute registers it, so ``parameters()``, ``state_dict()``, ``to()`` and ``repr`` find it
without any bookkeeping in user code.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from ... import _dtype as D
from ... import _functional_write as fw
from ..._backend import Backend
from ..._grad_mode import no_grad
from ..._tensor import Tensor
from ..parameter import Parameter
from .module_backward_hooks import (
    register_module_full_backward_hook,
    register_module_full_backward_pre_hook,
)
from .module_extras import ModuleExtrasMixin
from .module_hooks import (
    ForwardHooksMixin,
    register_module_forward_hook,
    register_module_forward_pre_hook,
)
from .module_registration_hooks import (
    register_module_buffer_registration_hook,
    register_module_module_registration_hook,
    register_module_parameter_registration_hook,
    registered,
)
from .module_state import StateDictMixin, _IncompatibleKeys

_HOOK_LISTS = (
    "_backward_hooks",
    "_backward_pre_hooks",
    "_forward_hooks",
    "_forward_pre_hooks",
    "_state_dict_pre_hooks",
    "_state_dict_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)

__all__ = [
    "Module",
    "_IncompatibleKeys",
    "register_module_buffer_registration_hook",
    "register_module_forward_hook",
    "register_module_forward_pre_hook",
    "register_module_full_backward_hook",
    "register_module_full_backward_pre_hook",
    "register_module_module_registration_hook",
    "register_module_parameter_registration_hook",
]


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return (
        lines[0]
        if len(lines) == 1
        else "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])
    )


class Module(ForwardHooksMixin, StateDictMixin, ModuleExtrasMixin):
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign parameters, buffers and submodules as
    attributes, and define ``forward``; calling the module runs the forward hooks around it.

    Example:
        >>> import tensorplug as tp
        >>> class Net(tp.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = tp.nn.Linear(2, 1)
        ...     def forward(self, x):
        ...         return self.fc(x).relu()
        >>> [name for name, _ in Net().named_parameters()]
        ['fc.weight', 'fc.bias']
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers: set[str]
    _modules: dict[str, Module | None]

    def __init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "training", True)
        set_(self, "_parameters", {})
        set_(self, "_buffers", {})
        set_(self, "_non_persistent_buffers", set())
        set_(self, "_modules", {})
        for hooks in _HOOK_LISTS:
            set_(self, hooks, [])
        set_(self, "_call_hooked", False)  # set by the first forward or backward hook

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    # -- registration ------------------------------------------------------------------------
    def _check_ready(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() call")

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add ``param`` (or a ``None`` placeholder) as the parameter ``name``."""
        self._check_ready("parameter")
        _check_name(self, name, "parameter", self._parameters)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(tensorplug.nn.Parameter or None required)"
            )
        self._parameters[name] = (
            param if param is None else registered("parameter", self, name, param)
        )

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (``BatchNorm``'s running mean);
        ``persistent=False`` leaves it out of ``state_dict``."""
        self._check_ready("buffer")
        _check_name(self, name, "buffer", self._buffers)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(Tensor or None required)"
            )
        self._buffers[name] = registered("buffer", self, name, tensor)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add ``module`` as the child ``name`` (what attribute assignment does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name_text(name, "module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = registered("module", self, name, module)

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            self._check_ready("parameters")
            if name not in self._parameters:  # a replaced parameter keeps its place
                _forget(self, name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(tensorplug.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._check_ready("child module")
            if name not in self._modules:
                _forget(self, name)
            self._modules[name] = registered("module", self, name, value)
        elif d.get("_modules") is not None and name in self._modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as child module '{name}' "
                    "(tensorplug.nn.Module or None expected)"
                )
            self._modules[name] = None
        elif d.get("_buffers") is not None and name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                    "(Tensor or None expected)"
                )
            self._buffers[name] = registered("buffer", self, name, value)
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            table = d.get(store)
            if table is not None and name in table:
                return table[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        own = [*self._parameters, *self._buffers, *self._modules]
        return sorted(set(super().__dir__()) | set(own))

    # -- traversal ---------------------------------------------------------------------------
    def named_modules(
        self, memo: set[Module] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and every descendant, depth first, with dotted names."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                sub = f"{prefix}.{name}" if prefix else name
                yield from child.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[Module] = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def _named_members(
        self, table: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        mods = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if (recurse)
            else iter([(prefix, self)])
        )
        for mod_prefix, mod in mods:
            for name, value in getattr(mod, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs; a shared parameter appears once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path ``target`` (``""`` is this module)."""
        mod: Module = self
        for item in target.split(".") if target else []:
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def _get_owned(self, target: str, table: str, what: str) -> Any:
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(f"{mod._get_name()} has no attribute `{name}`")
        if name not in getattr(mod, table):
            raise AttributeError(f"`{name}` is not {what}")
        return getattr(mod, name)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at dotted path ``target`` (``"fc.weight"``)."""
        return self._get_owned(target, "_parameters", "an nn.Parameter")  # type: ignore[no-any-return]

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at dotted path ``target`` (``"bn.running_mean"``)."""
        return self._get_owned(target, "_buffers", "a buffer")  # type: ignore[no-any-return]

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # -- modes and gradients -----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``Dropout`` drops, ``BatchNorm`` uses batch statistics)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)  # a subclass overriding train() is honoured, as in PyTorch
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to ``None`` by default, as PyTorch 2)."""
        for p in self.parameters():
            _zero_grad(p, set_to_none)

    # -- placement -----------------------------------------------------------------------------
    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Move parameters and buffers to a backend (``"numpy"``), a device (``"cuda"``)
        and/or a floating dtype, in place; parameters keep their identity, so an optimizer
        made before the move still updates them."""
        dtype, rest, rest_kw = _split_to_args(args, kwargs)
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype="
                f"{dtype.name}"
            )

        def convert(t: Tensor) -> Tensor:
            return t.to(*rest, dtype=dtype if t.is_floating_point() else None, **rest_kw)

        return self._apply(convert)

    def _apply(self, fn: Callable[[Tensor], Tensor]) -> Module:
        for mod in self.modules():
            for p in mod._parameters.values():
                if p is None:
                    continue
                with no_grad():
                    new = fn(p.detach())
                _rebind(p, new)
                if p._grad is not None:
                    with no_grad():
                        p._grad = fn(p._grad)
            for name, b in mod._buffers.items():
                if b is not None:
                    with no_grad():
                        mod._buffers[name] = fn(b)
        return self

    def float(self) -> Module:
        return self.to(D.float32)

    def double(self) -> Module:
        return self.to(D.float64)

    def half(self) -> Module:
        return self.to(D.float16)

    def cuda(self, device: Any = None) -> Module:
        return self.to(
            "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device)
        )

    def cpu(self) -> Module:
        return self._apply(lambda t: t.cpu())

    def __deepcopy__(self, memo: dict[int, Any]) -> Module:
        """An independent copy: parameters and buffers get their own data (``copy.deepcopy``
        works on modules as in PyTorch, although tensors themselves are never pickled)."""
        for mod in self.modules():
            for b in mod._buffers.values():
                if b is not None and id(b) not in memo:
                    memo[id(b)] = Tensor._make(b._backend.k.copy(b._data), b._backend)
        new = object.__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            object.__setattr__(new, key, copy.deepcopy(value, memo))
        return new

    # -- printing ------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's line in ``repr``."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = self.extra_repr().split("\n") if self.extra_repr() else []
        for name, child in self._modules.items():
            lines.append(f"({name}): " + _addindent(repr(child), 2))
        if not lines:
            return self._get_name() + "()"
        if len(lines) == 1 and not self._modules:
            return f"{self._get_name()}({lines[0]})"
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


def _check_name_text(name: Any, what: str) -> None:
    """PyTorch's checks (and words) for the name of a parameter, buffer or child module."""
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(
            f'{what} name can\'t contain "."' + (f", got: {name}" if what == "module" else "")
        )
    if name == "":
        raise KeyError(f'{what} name can\'t be empty string ""')


def _check_name(mod: Module, name: str, what: str, table: dict[str, Any]) -> None:
    _check_name_text(name, what)
    if name not in table and name in mod.__dict__:
        raise KeyError(f"attribute '{name}' already exists")


def _forget(mod: Module, name: str) -> None:
    """Drop ``name`` from every registry and the instance dict before re-registering it."""
    for table in (mod._parameters, mod._buffers, mod._modules):
        table.pop(name, None)
    mod._non_persistent_buffers.discard(name)
    mod.__dict__.pop(name, None)


def _rebind(p: Tensor, new: Tensor) -> None:
    """Point ``p`` at ``new``'s array and backend (a move or cast) keeping ``p``'s identity."""
    if new._data is p._data and new._backend is p._backend:
        return
    if not p._backend.mutable:
        fw.detach_memory(p)  # its views keep the old memory, as they would share it
    p._data = new._data
    p._meta = new._meta
    p._backend = new._backend
    p._accum = None  # its AccumulateGrad node records the old backend
    p._vc.version += 1


def _zero_grad(p: Tensor, set_to_none: bool) -> None:
    """Drop ``p.grad`` or zero it in place (detached first): ``Module.zero_grad`` and
    ``Optimizer.zero_grad`` share this."""
    if p._grad is None:
        return
    if set_to_none:
        p._grad = None
        return
    g = p._grad
    if g._grad_fn is not None:
        g.detach_()
    else:
        g.requires_grad_(False)
    g.zero_()


def _split_to_args(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[D.dtype | None, list[Any], dict[str, Any]]:
    """Separate the dtype from the placement arguments of ``to(...)``."""
    kwargs = dict(kwargs)
    dtype = kwargs.pop("dtype", None)
    rest = []
    for a in args:
        if isinstance(a, D.dtype) or a in (float, int, bool):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
            kwargs["backend"] = a._backend
        elif isinstance(a, Backend):
            kwargs["backend"] = a
        else:
            rest.append(a)
    return (None if dtype is None else D.as_dtype(dtype)), rest, kwargs


def _factory(device: Any, dtype: Any, backend: Any) -> dict[str, Any]:
    """The placement keywords a layer passes on to the creation of its parameters and buffers."""
    return {"device": device, "dtype": dtype, "backend": backend}
