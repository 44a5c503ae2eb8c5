"""The ``torch`` backend: builds :class:`~nn_torch.network.TorchNetwork` on a CPU or CUDA device."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nn_core.contracts import Backend, Layer, Loss, Regularizer
from nn_core.errors import TrainingError
from nn_torch import tensors

if TYPE_CHECKING:
    import torch

    from nn_torch.network import TorchNetwork
else:
    from nn_torch._lazy import torch


def cuda_devices() -> tuple[str, ...]:
    """``("cuda", "cuda:0", ...)`` for the GPUs torch sees here, else ``()``."""
    if not torch.cuda.is_available():
        return ()
    return ("cuda", *(f"cuda:{i}" for i in range(torch.cuda.device_count())))


def check_device(device: str) -> None:
    """A one-line error naming ``device`` when it is not on this machine."""
    present = TorchBackend.devices()
    if device not in present:
        raise TrainingError(
            f"device: {device!r} is not available to torch on this machine (present: {', '.join(present)}); "
            f"set device: cpu, or install a CUDA build of torch on a machine with a GPU"
        )


class TorchBackend(Backend):
    """PyTorch tensors on the CPU or a CUDA GPU (float64 or float32); nn-numpy's arithmetic."""

    name: ClassVar[str] = "torch"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    dtypes: ClassVar[tuple[str, ...]] = tensors.DTYPES
    default_dtype: ClassVar[str] = "float64"
    default_device: ClassVar[str] = "cpu"
    device_pattern: ClassVar[str | None] = r"^(cpu|cuda(:[0-9]+)?)$"

    @classmethod
    def devices(cls) -> tuple[str, ...]:
        return ("cpu", *cuda_devices())

    @staticmethod
    def to_numpy(array: Any) -> np.ndarray:
        return tensors.to_numpy(array) if isinstance(array, torch.Tensor) else np.array(array, copy=True)

    @staticmethod
    def from_numpy(array: np.ndarray, dtype: Any, device: Any = "cpu") -> Any:
        return tensors.from_numpy(array, dtype, device)

    def network(
        self,
        layers: list[Layer],
        loss: Loss,
        regularizer: Regularizer | None,
        *,
        input_dim: int,
        dtype: str,
        rng: np.random.RandomState,
        device: str = "cpu",
    ) -> TorchNetwork:
        from nn_torch.network import TorchNetwork

        check_device(device)
        return TorchNetwork(layers, loss, regularizer, input_dim=input_dim, dtype=dtype, device=device, rng=rng)
