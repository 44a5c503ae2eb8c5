"""Inverted dropout (Srivastava et al. 2014; cs231n's "inverted" form).

In training each input is kept with probability ``1 - rate`` and scaled by
``1 / (1 - rate)``, so the expected activation is unchanged and evaluation
is the identity: nothing to rescale at prediction time.

Masks come from the layer's own ``numpy.random.Generator``, seeded in
:meth:`Dropout.initialize` with one draw from the network's ``RandomState``
(so the whole run still follows from the spec's seed; that draw shifts the
initial weights of the layers after a dropout layer, which is fine: no
tutorial uses dropout).

Gradient checking needs the training loss to be a deterministic function of
the parameters, so the layer can be *frozen*: ``freeze(True)`` makes every
training forward reuse the previous mask (a new one is drawn only when the
batch shape changes, and then kept) until ``freeze(False)``. This ``freeze``
method is the hook ``nn_core.gradcheck`` looks for on any layer.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Layer
from nn_numpy.layers._buffers import Buffers


class Dropout(Layer):
    """Inverted dropout: zero a fraction `rate` of inputs in training; identity at evaluation."""

    name: ClassVar[str] = "dropout"
    backend: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "rate": {
                "type": "number",
                "minimum": 0,
                "exclusiveMaximum": 1,
                "default": 0.5,
                "description": "probability of dropping each input in training",
            },
        },
    }

    def __init__(self, *, rate: float = 0.5) -> None:
        self.rate = rate
        self.frozen = False
        self.mask: np.ndarray | None = None
        self.applied = False
        self.generator: np.random.Generator | None = None

    def build(self, input_dim: int, dtype: Any) -> int:
        self.dtype = np.dtype(dtype)
        self._buffers = Buffers(self.dtype)
        self.param_shapes = {}
        return input_dim

    def initialize(self, rng: np.random.RandomState) -> None:
        self.generator = np.random.default_rng(rng.randint(2**31))

    def freeze(self, frozen: bool = True) -> None:
        """Hold the current mask fixed (gradient checks) or resume drawing."""
        self.frozen = frozen

    def _draw_mask(self, shape: tuple[int, ...]) -> np.ndarray:
        assert self.generator is not None, "initialize() draws the mask generator"
        mask = self._buffers.get("mask", shape)
        keep = self._buffers.get("keep", shape, dtype=np.bool_)
        self.generator.random(dtype=self.dtype, out=mask)  # U[0, 1) in the layer's dtype, in place
        np.greater_equal(mask, self.rate, out=keep)
        np.copyto(mask, keep)
        mask *= 1.0 / (1.0 - self.rate)
        return mask

    def forward(self, X: np.ndarray, training: bool) -> np.ndarray:
        self.applied = training and self.rate > 0
        if not self.applied:
            return X
        if not (self.frozen and self.mask is not None and self.mask.shape == X.shape):
            self.mask = self._draw_mask(X.shape)
        return np.multiply(X, self.mask, out=self._buffers.get("Y", X.shape))

    def backward(self, dY: np.ndarray, need_dX: bool = True) -> np.ndarray | None:
        if not need_dX:
            return None
        if not self.applied or self.mask is None:
            return dY
        return np.multiply(dY, self.mask, out=self._buffers.get("dX", dY.shape))
