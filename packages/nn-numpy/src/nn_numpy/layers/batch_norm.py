"""Batch normalization (Ioffe & Szegedy 2015) over the feature axis.

Training normalizes each feature with the batch's own mean and (biased)
variance, then scales and shifts: ``Y = weight · (X − μ_B) / √(σ²_B + eps) + bias``.
Evaluation uses running estimates instead, so a prediction never depends on
the rest of its batch.

Momentum convention (Keras and cs231n's, not PyTorch's)::

    running = momentum · running + (1 − momentum) · batch_statistic

so the default 0.9 keeps 90 % of the old estimate each step (PyTorch's
``momentum=0.1`` is the same rule written the other way round). The running
variance is the biased batch variance, the one used to normalize.

``weight`` (γ, initialized to 1) and ``bias`` (β, initialized to 0) are
trained parameters in the network's flat buffer and are not regularized.
``running_mean`` and ``running_var`` are *state*, not parameters: no
gradient, no optimizer; the layer exposes them in ``buffers`` and the
network collects them as ``layers.{i}.running_mean`` etc. for model files.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Layer
from nn_numpy.layers._buffers import Buffers


class BatchNorm(Layer):
    """Batch normalization: per-feature batch statistics in training, running ones at evaluation."""

    name: ClassVar[str] = "batch_norm"
    backend: ClassVar[str] = "numpy"
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
        self.dtype = np.dtype(dtype)
        self._buffers = Buffers(self.dtype)
        self.param_shapes = {"weight": (input_dim,), "bias": (input_dim,)}
        self.running_mean = np.zeros(input_dim, dtype=self.dtype)
        self.running_var = np.ones(input_dim, dtype=self.dtype)
        return input_dim

    def buffers(self) -> dict[str, np.ndarray]:
        """Non-trained state saved with the model: the running statistics."""
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def initialize(self, rng: np.random.RandomState) -> None:
        self.weights["weight"][...] = 1
        self.weights["bias"][...] = 0
        self.running_mean[...] = 0
        self.running_var[...] = 1

    def forward(self, X: np.ndarray, training: bool) -> np.ndarray:
        gamma, beta = self.weights["weight"], self.weights["bias"]
        if not training:
            # Evaluation allocates: it must not clobber buffers a step is using.
            scale = gamma / np.sqrt(self.running_var + self.eps)
            return (X - self.running_mean) * scale + beta
        xhat = self._buffers.get("xhat", X.shape)
        mean = X.mean(axis=0)
        np.subtract(X, mean, out=xhat)
        Y = self._buffers.get("Y", X.shape)
        np.multiply(xhat, xhat, out=Y)  # Y as scratch for the squared deviations
        var = Y.mean(axis=0)
        inv_std = 1 / np.sqrt(var + self.eps)
        xhat *= inv_std
        np.multiply(xhat, gamma, out=Y)
        Y += beta
        self.xhat, self.inv_std = xhat, inv_std
        m = self.momentum
        self.running_mean *= m
        self.running_mean += (1 - m) * mean
        self.running_var *= m
        self.running_var += (1 - m) * var
        return Y

    def backward(self, dY: np.ndarray, need_dX: bool = True) -> np.ndarray | None:
        xhat = self.xhat
        n = dY.shape[0]
        np.sum(dY, axis=0, out=self.grads["bias"])
        tmp = self._buffers.get("tmp", dY.shape)
        np.multiply(dY, xhat, out=tmp)
        np.sum(tmp, axis=0, out=self.grads["weight"])
        if not need_dX:
            return None
        # dX = γ/(n·σ) · (n·dY − Σ dY − x̂ · Σ dY·x̂): the mean and variance paths folded in.
        dX = self._buffers.get("dX", dY.shape)
        np.multiply(xhat, self.grads["weight"], out=tmp)
        np.multiply(dY, n, out=dX)
        dX -= self.grads["bias"]
        dX -= tmp
        dX *= self.weights["weight"] * (self.inv_std / n)
        return dX
