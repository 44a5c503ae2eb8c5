"""Fully connected layer on torch tensors: ``Z = X @ W.T + b``, ``A = g(Z)``.

``weight`` is ``(units_out, units_in)`` (``torch.nn.Linear``'s layout). The
forward keeps X, Z and A for backward in scratch tensors reused from step to
step (one set per batch size); ``logits`` is the Z of the latest forward,
which the loss reads to stay exact. Backward is written out, as in nn-numpy:
``dW = dZᵀX``, ``db = Σ dZ``, ``dX = dZ W``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nn_core.component import component_ref
from nn_core.contracts import Activation, Initializer, Regularizer
from nn_torch.layers._base import TorchLayer, draw

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch


class Dense(TorchLayer):
    """Fully connected layer with its activation: A = g(X Wᵀ + b)."""

    name: ClassVar[str] = "dense"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "units": {"type": "integer", "minimum": 1, "description": "output width"},
            "activation": component_ref("activation", default="identity"),
            "init": component_ref("initializer", default="glorot_uniform"),
            "bias_init": component_ref("initializer", default="zeros"),
            "use_bias": {"type": "boolean", "default": True},
            "regularizer": component_ref("regularizer"),
        },
        "required": ["units"],
    }
    regularized: ClassVar[tuple[str, ...]] = ("weight",)

    def __init__(
        self,
        *,
        units: int,
        activation: Activation,
        init: Initializer,
        bias_init: Initializer,
        use_bias: bool = True,
        regularizer: Regularizer | None = None,
    ) -> None:
        self.units = units
        self.activation = activation
        self.activation_name = activation.name
        self.init = init
        self.bias_init = bias_init
        self.use_bias = use_bias
        self.regularizer = regularizer
        self.fused_output = False
        self.logits: torch.Tensor | None = None

    def build(self, input_dim: int, dtype: Any) -> int:
        self._setup(dtype)
        self.param_shapes = {"weight": (self.units, input_dim)}
        if self.use_bias:
            self.param_shapes["bias"] = (self.units,)
        return self.units

    def initialize(self, rng: np.random.RandomState) -> None:
        W = self.weights["weight"]
        W.copy_(draw(self.init, tuple(W.shape), rng))
        if self.use_bias:
            b = self.weights["bias"]
            b.copy_(draw(self.bias_init, tuple(b.shape), rng))

    def _affine(self, X: torch.Tensor, out: torch.Tensor | None) -> torch.Tensor:
        W = self.weights["weight"]
        if self.use_bias:
            return (
                torch.addmm(self.weights["bias"], X, W.t(), out=out)
                if out is not None
                else torch.addmm(self.weights["bias"], X, W.t())
            )
        return torch.mm(X, W.t(), out=out) if out is not None else torch.mm(X, W.t())

    def forward(self, X: torch.Tensor, training: bool) -> torch.Tensor:
        if not training:
            # Evaluation allocates: it must not clobber tensors a step is using.
            Z = self._affine(X, None)
            self.logits = Z
            return self.activation.forward(Z, torch.empty_like(Z))
        n = X.shape[0]
        Z = self._affine(X, self._buffers.get("Z", (n, self.units)))
        A = self.activation.forward(Z, self._buffers.get("A", (n, self.units)))
        self.X, self.Z, self.A = X, Z, A
        self.logits = Z
        return A

    def backward(self, dY: torch.Tensor, need_dX: bool = True) -> torch.Tensor | None:
        if self.fused_output:
            dZ = dY  # the loss already returned dL/dZ
        else:
            dZ = self.activation.backward(self.Z, self.A, dY, self._buffers.get("dZ", tuple(self.Z.shape)))
        torch.mm(dZ.t(), self.X, out=self.grads["weight"])
        if self.use_bias:
            torch.sum(dZ, dim=0, out=self.grads["bias"])
        if not need_dX:
            return None
        return torch.mm(dZ, self.weights["weight"], out=self._buffers.get("dX", tuple(self.X.shape)))
