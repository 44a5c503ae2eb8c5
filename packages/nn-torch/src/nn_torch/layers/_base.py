"""What every torch layer shares: its device, scratch tensors, and initial draws.

The network calls ``place(device)`` before ``build``, so a layer allocates
its buffers (batch norm's running statistics, dropout's generator) where
the parameters live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from nn_core.contracts import Initializer, Layer
from nn_torch.tensors import Buffers, torch_dtype

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch


@runtime_checkable
class Placeable(Protocol):
    """A layer that allocates on the network's device: ``place(device)`` is called before ``build``."""

    def place(self, device: Any) -> None: ...


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
    return torch.from_numpy(np.ascontiguousarray(init(shape, rng), dtype=np.float64))
