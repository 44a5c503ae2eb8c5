"""Inverted dropout on torch tensors (nn-numpy's semantics).

Training keeps each input with probability ``1 − rate`` and scales it by
``1 / (1 − rate)``; evaluation is the identity. Masks come from the layer's
own ``torch.Generator`` on the layer's device, seeded in ``initialize`` with
one draw from the network's ``RandomState`` (the same draw nn-numpy makes,
so the initial weights of later layers match across backends; the masks
themselves differ, torch's Philox/MT streams not being numpy's PCG64).
The generator's state crosses checkpoints as a numpy ``uint8`` array, so a
resumed run draws the masks the uninterrupted one would have.

``freeze(True)`` holds the current mask for gradient checks, as in nn-numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nn_torch.layers._base import TorchLayer

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch


class Dropout(TorchLayer):
    """Inverted dropout: zero a fraction `rate` of inputs in training; identity at evaluation."""

    name: ClassVar[str] = "dropout"
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
        self.mask: torch.Tensor | None = None
        self.applied = False
        self.generator: torch.Generator | None = None

    def build(self, input_dim: int, dtype: Any) -> int:
        self._setup(dtype)
        self.param_shapes = {}
        return input_dim

    def initialize(self, rng: np.random.RandomState) -> None:
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(int(rng.randint(2**31)))

    def freeze(self, frozen: bool = True) -> None:
        """Hold the current mask fixed (gradient checks) or resume drawing."""
        self.frozen = frozen

    def _draw_mask(self, shape: tuple[int, ...]) -> torch.Tensor:
        assert self.generator is not None, "initialize() seeds the mask generator"
        mask = self._buffers.get("mask", shape)
        keep = self._buffers.get("keep", shape, dtype=torch.bool)
        torch.rand(shape, generator=self.generator, dtype=self.dtype, device=mask.device, out=mask)
        torch.ge(mask, self.rate, out=keep)
        mask.copy_(keep)
        mask *= 1.0 / (1.0 - self.rate)
        return mask

    def forward(self, X: torch.Tensor, training: bool) -> torch.Tensor:
        self.applied = training and self.rate > 0
        if not self.applied:
            return X
        if not (self.frozen and self.mask is not None and self.mask.shape == X.shape):
            self.mask = self._draw_mask(tuple(X.shape))
        return torch.mul(X, self.mask, out=self._buffers.get("Y", tuple(X.shape)))

    def backward(self, dY: torch.Tensor, need_dX: bool = True) -> torch.Tensor | None:
        if not need_dX:
            return None
        if not self.applied or self.mask is None:
            return dY
        return torch.mul(dY, self.mask, out=self._buffers.get("dX", tuple(dY.shape)))
