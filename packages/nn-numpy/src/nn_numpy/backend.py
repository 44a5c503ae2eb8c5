"""The ``numpy`` backend: builds :class:`~nn_numpy.network.NumpyNetwork` on the CPU."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Backend, Layer, Loss, Regularizer
from nn_numpy import kernels
from nn_numpy.network import NumpyNetwork


class NumpyBackend(Backend):
    """Reference CPU backend in plain numpy (float64 or float32)."""

    name: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    dtypes: ClassVar[tuple[str, ...]] = ("float64", "float32")
    default_dtype: ClassVar[str] = "float64"
    default_device: ClassVar[str] = "cpu"
    known_devices: ClassVar[tuple[str, ...]] = ("cpu",)

    @classmethod
    def devices(cls) -> tuple[str, ...]:
        return ("cpu",)

    @staticmethod
    def to_numpy(array: Any) -> np.ndarray:
        return np.asarray(array)

    @staticmethod
    def from_numpy(array: np.ndarray, dtype: str, device: str) -> np.ndarray:
        return np.ascontiguousarray(array, dtype=dtype)

    def network(
        self,
        layers: list[Layer],
        loss: Loss,
        regularizer: Regularizer | None,
        *,
        input_dim: int,
        dtype: str,
        device: str,
        rng: np.random.RandomState,
    ) -> NumpyNetwork:
        return NumpyNetwork(layers, loss, regularizer, input_dim=input_dim, dtype=dtype, rng=rng)

    @staticmethod
    def kernel_sets() -> dict[str, kernels.Kernels]:
        """The kernel sets installed (``numpy``, and ``numba`` with nn-numpy[numba]); NN_KERNELS picks one."""
        return kernels.available()

    @staticmethod
    def kernel_cases(dtype: str) -> list[Any]:
        """Inputs every kernel set must agree on bit for bit (nn_core.testing.kernels runs them)."""
        from nn_numpy.kernels.cases import kernel_cases

        return list(kernel_cases(dtype))
