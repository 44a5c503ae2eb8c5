"""Initializers draw from the network's ``RandomState`` in layer order.

A legacy ``RandomState`` (not ``Generator``) on purpose: seeded with the
spec's seed, ``normal`` with std 0.01 draws exactly the tutorials'
``np.random.randn(n_out, n_in) * 0.01`` after ``np.random.seed(seed)``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Initializer


class NumpyInitializer(Initializer):
    backend: ClassVar[str] = "numpy"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a ``(units_out, units_in)`` weight; a bias counts as fan_in 1."""
    if len(shape) == 1:
        return 1, shape[0]
    return shape[1], shape[0]


class Zeros(NumpyInitializer):
    """All zeros: the usual bias initializer."""

    name = "zeros"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState, dtype: Any) -> np.ndarray:
        return np.zeros(shape, dtype=dtype)


class Normal(NumpyInitializer):
    """mean + std · N(0, 1); std 0.01 is tutorial 000's randn·0.01."""

    name = "normal"
    params_schema = {
        "type": "object",
        "properties": {
            "mean": {"type": "number", "default": 0.0},
            "std": {"type": "number", "exclusiveMinimum": 0, "default": 1.0},
        },
    }

    def __init__(self, *, mean: float = 0.0, std: float = 1.0) -> None:
        self.mean, self.std = mean, std

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState, dtype: Any) -> np.ndarray:
        return (rng.standard_normal(shape) * self.std + self.mean).astype(dtype)


class Uniform(NumpyInitializer):
    """Uniform on [low, high)."""

    name = "uniform"
    params_schema = {
        "type": "object",
        "properties": {
            "low": {"type": "number", "default": -0.05},
            "high": {"type": "number", "default": 0.05},
        },
    }

    def __init__(self, *, low: float = -0.05, high: float = 0.05) -> None:
        if not low < high:
            from nn_core.errors import NNError

            raise NNError(f"uniform initializer needs low < high, got low={low}, high={high}")
        self.low, self.high = low, high

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState, dtype: Any) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=shape).astype(dtype)


class GlorotUniform(NumpyInitializer):
    """U(±√(6 / (fan_in + fan_out))): keeps activation variance steady for tanh nets."""

    name = "glorot_uniform"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState, dtype: Any) -> np.ndarray:
        fan_in, fan_out = fans(shape)
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape).astype(dtype)


INITIALIZERS = [Zeros, Normal, Uniform, GlorotUniform]
