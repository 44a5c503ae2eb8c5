"""Initializers, one set for every backend: float64 numpy draws on the host.

They draw from the network's ``RandomState`` in layer order and return
float64 arrays; each backend's layers convert them to their dtype and device,
so every backend starts from bit-identical weights (a float32 weight is the
float64 draw rounded once). A legacy ``RandomState`` (not ``Generator``) on
purpose: seeded with the spec's seed, ``normal`` with std 0.01 draws exactly
the tutorials' ``np.random.randn(n_out, n_in) * 0.01`` after
``np.random.seed(seed)``. Shapes may be 1-D (biases, batch norm's scale).
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from nn_core.contracts import Initializer


class HostInitializer(Initializer):
    backend: ClassVar[str | None] = None
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a ``(units_out, units_in)`` weight; a bias counts as fan_in 1."""
    if len(shape) == 1:
        return 1, shape[0]
    return shape[1], shape[0]


class Zeros(HostInitializer):
    """All zeros: the usual bias initializer."""

    name = "zeros"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        return np.zeros(shape, dtype=np.float64)


class Normal(HostInitializer):
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

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        return rng.standard_normal(shape) * self.std + self.mean


class Uniform(HostInitializer):
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

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=shape)


class GlorotUniform(HostInitializer):
    """U(±√(6 / (fan_in + fan_out))): keeps activation variance steady for tanh nets."""

    name = "glorot_uniform"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        fan_in, fan_out = fans(shape)
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=shape)


class Constant(HostInitializer):
    """Every entry set to ``value`` (e.g. a positive bias for relu units)."""

    name = "constant"
    params_schema = {
        "type": "object",
        "properties": {"value": {"type": "number", "default": 0.0}},
    }

    def __init__(self, *, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        return np.full(shape, float(self.value), dtype=np.float64)


class GlorotNormal(HostInitializer):
    """N(0, 2 / (fan_in + fan_out)), untruncated: Glorot & Bengio's variance, normal draws."""

    name = "glorot_normal"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        fan_in, fan_out = fans(shape)
        return rng.standard_normal(shape) * math.sqrt(2.0 / (fan_in + fan_out))


class HeNormal(HostInitializer):
    """N(0, 2 / fan_in), untruncated: keeps relu activations' variance steady (He et al. 2015)."""

    name = "he_normal"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        fan_in, _ = fans(shape)
        return rng.standard_normal(shape) * math.sqrt(2.0 / fan_in)


class HeUniform(HostInitializer):
    """U(±√(6 / fan_in)): He's variance 2 / fan_in with uniform draws."""

    name = "he_uniform"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        fan_in, _ = fans(shape)
        limit = math.sqrt(6.0 / fan_in)
        return rng.uniform(-limit, limit, size=shape)


class LecunNormal(HostInitializer):
    """N(0, 1 / fan_in): tutorial 003's ``randn(n_in, n_out) / sqrt(n_in)``.

    A weight is drawn in the tutorial's ``(n_in, n_out)`` order and then
    transposed into our ``(units_out, units_in)`` layout, so with the same
    seed (and ``bias_init: {type: normal, std: 1}``, the tutorial's
    ``randn`` biases) its initial weights reproduce exactly.
    """

    name = "lecun_normal"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        fan_in, _ = fans(shape)
        draw = rng.standard_normal(shape[::-1]).T
        return np.ascontiguousarray(draw / math.sqrt(fan_in), dtype=np.float64)


INITIALIZERS = [
    Zeros,
    Constant,
    Normal,
    Uniform,
    GlorotUniform,
    GlorotNormal,
    HeNormal,
    HeUniform,
    LecunNormal,
]


class CheckedInitializer:
    """A spec's initializer as layers call it: its draw must be a float64 numpy array
    of exactly the parameter's shape.

    A layer assigns the draw into its storage (``W[...] = init(W.shape, rng)``),
    where numpy broadcasting would silently copy a wrong-shaped draw (one row
    into every row); so nn-core checks every draw, for every backend, and
    names the initializer and its distribution in one line.
    """

    def __init__(self, init: Initializer, provider: str) -> None:
        self.wrapped = init
        self.provider = provider

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        draw = self.wrapped(shape, rng)
        shape = tuple(shape)
        if not isinstance(draw, np.ndarray) or draw.shape != shape or draw.dtype != np.float64:
            got = f"{draw.dtype} array of shape {draw.shape}" if isinstance(draw, np.ndarray) else type(draw).__name__
            from nn_core.errors import PluginError

            raise PluginError(
                f"initializer {self.wrapped.name!r} ({self.provider}) returned a {got} for a parameter of "
                f"shape {shape}; an initializer returns a float64 numpy array of exactly that shape"
            )
        return draw

    def __getattr__(self, name: str) -> Any:  # the initializer's own attributes (std, gain, ...)
        if name.startswith("__") or name in ("wrapped", "provider"):  # copy/pickle probe a bare instance
            raise AttributeError(name)
        return getattr(self.wrapped, name)
