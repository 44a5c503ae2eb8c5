"""Batch normalization over the feature axis on torch tensors, nn-numpy's conventions.

Training normalizes with the batch mean and *biased* variance; evaluation
uses running estimates. Momentum is Keras's (``running = momentum·running +
(1 − momentum)·batch``, default 0.9), and the running variance is the biased
batch variance, the one used to normalize. ``torch.nn.BatchNorm1d`` differs
on both counts (``momentum=0.1`` weighs the *new* value, and its running
variance is the unbiased n/(n−1) one), which is why this layer computes the
statistics itself instead of calling ``torch.batch_norm``; ``nn export``
notes the mapping (``momentum_torch = 1 − momentum``). The arithmetic
follows nn-numpy's op for op, so float64 agrees to rounding.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nn_torch.layers._base import TorchLayer

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch


class BatchNorm(TorchLayer):
    """Batch normalization: per-feature batch statistics in training, running ones at evaluation."""

    name: ClassVar[str] = "batch_norm"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "momentum": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "default": 0.9,
                "description": "running = momentum·running + (1 − momentum)·batch (Keras convention)",
            },
            "eps": {
                "type": "number",
                "exclusiveMinimum": 0,
                "default": 1e-5,
                "description": "added to the variance before the square root",
            },
        },
    }
    regularized: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, momentum: float = 0.9, eps: float = 1e-5) -> None:
        self.momentum = momentum
        self.eps = eps

    def build(self, input_dim: int, dtype: Any) -> int:
        self._setup(dtype)
        self.param_shapes = {"weight": (input_dim,), "bias": (input_dim,)}
        self.running_mean = torch.zeros(input_dim, dtype=self.dtype, device=self.device)
        self.running_var = torch.ones(input_dim, dtype=self.dtype, device=self.device)
        return input_dim

    def buffers(self) -> dict[str, torch.Tensor]:
        """Non-trained state saved with the model: the running statistics."""
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def initialize(self, rng: np.random.RandomState) -> None:
        self.weights["weight"].fill_(1)
        self.weights["bias"].fill_(0)
        self.running_mean.fill_(0)
        self.running_var.fill_(1)

    def forward(self, X: torch.Tensor, training: bool) -> torch.Tensor:
        gamma, beta = self.weights["weight"], self.weights["bias"]
        if not training:
            scale = gamma / torch.sqrt(self.running_var + self.eps)
            return (X - self.running_mean) * scale + beta
        shape = tuple(X.shape)
        xhat = self._buffers.get("xhat", shape)
        mean = X.mean(dim=0)
        torch.sub(X, mean, out=xhat)
        Y = self._buffers.get("Y", shape)
        torch.mul(xhat, xhat, out=Y)  # Y as scratch for the squared deviations
        var = Y.mean(dim=0)
        inv_std = 1 / torch.sqrt(var + self.eps)
        xhat *= inv_std
        torch.mul(xhat, gamma, out=Y)
        Y += beta
        self.xhat, self.inv_std = xhat, inv_std
        m = self.momentum
        self.running_mean *= m
        self.running_mean += (1 - m) * mean
        self.running_var *= m
        self.running_var += (1 - m) * var
        return Y

    def backward(self, dY: torch.Tensor, need_dX: bool = True) -> torch.Tensor | None:
        xhat = self.xhat
        n = dY.shape[0]
        torch.sum(dY, dim=0, out=self.grads["bias"])
        tmp = self._buffers.get("tmp", tuple(dY.shape))
        torch.mul(dY, xhat, out=tmp)
        torch.sum(tmp, dim=0, out=self.grads["weight"])
        if not need_dX:
            return None
        # dX = γ/(n·σ) · (n·dY − Σ dY − x̂ · Σ dY·x̂): the mean and variance paths folded in.
        dX = self._buffers.get("dX", tuple(dY.shape))
        torch.mul(xhat, self.grads["weight"], out=tmp)
        torch.mul(dY, n, out=dX)
        dX -= self.grads["bias"]
        dX -= tmp
        dX *= self.weights["weight"] * (self.inv_std / n)
        return dX
