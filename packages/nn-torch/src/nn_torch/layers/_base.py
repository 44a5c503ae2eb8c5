"""What every torch layer shares: its device, scratch tensors, and initial draws.

The network calls ``place(device)`` before ``build``, so a layer allocates
its buffers (batch norm's running statistics, dropout's generator) where
the parameters live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nn_core.contracts import Initializer, Layer
from nn_torch.tensors import Buffers, torch_dtype

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch


class TorchLayer(Layer):
    backend: ClassVar[str] = "torch"
    device: Any = "cpu"

    def place(self, device: Any) -> None:
        self.device = torch.device(device)

    def _setup(self, dtype: Any) -> None:
        self.dtype = torch_dtype(dtype)
        self._buffers = Buffers(self.dtype, torch.device(self.device))


def draw(init: Initializer, shape: tuple[int, ...], rng: np.random.RandomState) -> torch.Tensor:
    """The initializer's float64 numpy draw as a CPU tensor; ``copy_`` into a
    parameter rounds it once to the parameter's dtype and moves it to its device,
    so every backend starts from the same weights."""
    try:
        array = init(shape, rng)  # type: ignore[call-arg]  # contract v2: float64 numpy
    except TypeError:  # pragma: no cover - contract v1 initializers take a dtype
        array = init(shape, rng, np.float64)
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float64))
