"""The ``numpy`` backend: builds :class:`~nn_numpy.network.NumpyNetwork`."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Backend, Layer, Loss, Regularizer
from nn_numpy.network import NumpyNetwork


class NumpyBackend(Backend):
    """Reference CPU backend in plain numpy (float64 or float32)."""

    name: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    def network(
        self,
        layers: list[Layer],
        loss: Loss,
        regularizer: Regularizer | None,
        *,
        input_dim: int,
        dtype: str,
        rng: np.random.RandomState,
    ) -> NumpyNetwork:
        return NumpyNetwork(layers, loss, regularizer, input_dim=input_dim, dtype=dtype, rng=rng)
