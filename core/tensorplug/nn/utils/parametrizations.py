"""``nn.utils.parametrizations``: weight normalisation and spectral normalisation written as
parametrizations (``parametrize.register_parametrization``), with PyTorch's parameter and
buffer layout, so their ``state_dict`` keys are PyTorch's
(``parametrizations.weight.original0``/``original1`` for ``weight_norm``;
``parametrizations.weight.original`` with ``parametrizations.weight.0._u``/``_v`` for
``spectral_norm``).

Example:
    >>> import tensorplug as tp
    >>> from tensorplug.nn.utils.parametrizations import weight_norm
    >>> lin = weight_norm(tp.nn.Linear(3, 2))
    >>> [name for name, _ in lin.named_parameters()]
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
"""

from __future__ import annotations

from typing import Any

from ... import _ops_shape as S
from ..._grad_mode import no_grad
from ..._tensor import Tensor
from ...linalg import vector_norm
from ..functional import normalize
from ..modules.module import Module
from . import parametrize
from ._orthogonal import orthogonal

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """PyTorch's ``norm_except_dim``: the ``pow``-norm of ``v`` over every dimension but
    ``dim``, kept as size-1 dimensions (``dim=-1``: over all of ``v``, a 0-d tensor)."""
    if dim == -1:
        return vector_norm(v, pow)
    other = tuple([d for d in range(v.ndim) if d != dim % v.ndim])
    return vector_norm(v, pow, other, keepdim=True)


def _weight_norm(v: Tensor, g: Tensor, dim: int = 0) -> Tensor:
    """PyTorch's ``_weight_norm``: ``v * (g / norm_except_dim(v, 2, dim))``, the direction of
    ``v`` with the magnitude ``g``; its gradients are those of this expression."""
    return v * (g / norm_except_dim(v, 2, dim))


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (the norm over every dimension but
    ``dim``; ``dim=None``: over the whole tensor): ``original0`` is the magnitude ``g``,
    ``original1`` the direction ``v``. An old ``weight_g``/``weight_v`` state dict loads too."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict: dict[str, Any], prefix: str, *args: Any) -> None:
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


def reshape_weight_to_matrix(weight: Tensor, dim: int) -> Tensor:
    """``weight`` as a matrix whose rows run along ``dim``."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return S.flatten(weight, 1)


class _SpectralNorm(Module):
    """``weight / sigma``, ``sigma`` the largest singular value of ``weight`` as a matrix
    along ``dim``, estimated by power iteration on the buffers ``_u`` and ``_v`` (one more
    step of it on every forward in training mode)."""

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but "
                f"got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = reshape_weight_to_matrix(weight, self.dim)
            h, w = weight_mat.shape
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    @no_grad()
    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        for _ in range(n_power_iterations):
            self._u.copy_(normalize(weight_mat @ self._v, dim=0, eps=self.eps))
            self._v.copy_(normalize(weight_mat.mT @ self._u, dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = reshape_weight_to_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u = self._u.clone()
        v = self._v.clone()
        sigma = (u * (weight_mat @ v)).sum()
        return weight / sigma  # type: ignore[no-any-return]

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def _default_dim(module: Module, dim: int | None) -> int:
    """The output dimension of ``module``'s weight: 1 for transposed convolutions."""
    from ..modules.conv import _ConvTranspose  # nn.modules imports nn.utils: not at the top

    if dim is not None:
        return dim
    return 1 if isinstance(module, _ConvTranspose) else 0


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Divide ``module.<name>`` by its spectral norm, estimated by ``n_power_iterations`` steps
    of power iteration per forward in training mode (none in eval mode)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    sn = _SpectralNorm(weight, n_power_iterations, _default_dim(module, dim), eps)
    parametrize.register_parametrization(module, name, sn)
    return module
