"""A tiny backend written for nn-core's tests: nn-core must work with any backend.

``fake`` implements the Network protocol with dense layers and a squared-error
loss in a few lines of numpy, so the spec machinery and the training loop are
tested without nn-numpy installed.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

import nn_core.builtins
from nn_core import hookimpl
from nn_core.component import component_ref
from nn_core.contracts import Activation, Backend, Data, Dataset, Layer, Loss, Optimizer
from nn_core.plugins import PluginManager, build_registry, get_plugin_manager
from nn_core.registry import Registry


class Line(Dataset):
    """y = 2x + 1 on a grid (regression) or its sign (classification)."""

    name = "line"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 2, "default": 20},
            "classify": {"type": "boolean", "default": False},
        },
    }

    def __init__(self, *, n: int, classify: bool) -> None:
        self.n, self.classify = n, classify

    def load(self) -> Data:
        x = np.linspace(-1, 1, self.n)
        if self.classify:
            return Data(x[:, None], (2 * x + 0.1 > 0).astype(np.int64), ("neg", "pos"))
        return Data(x[:, None], 2 * x + 1)


class FakeActivation(Activation):
    backend = "fake"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        out[...] = self.f(Z)
        return out

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        out[...] = dA * self.df(A)
        return out


class Identity(FakeActivation):
    """Identity."""

    name = "identity"
    f = staticmethod(lambda z: z)
    df = staticmethod(lambda a: np.ones_like(a))


class Tanh(FakeActivation):
    """tanh."""

    name = "tanh"
    f = staticmethod(np.tanh)
    df = staticmethod(lambda a: 1 - a * a)


class Linear(Layer):
    """Dense layer of the fake backend."""

    name = "linear"
    backend = "fake"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "units": {"type": "integer", "minimum": 1},
            "activation": component_ref("activation", default="identity"),
        },
        "required": ["units"],
    }

    def __init__(self, *, units: int, activation: Activation) -> None:
        self.units, self.activation = units, activation

    def build(self, input_dim: int, dtype: Any) -> int:
        self.param_shapes = {"weight": (self.units, input_dim), "bias": (self.units,)}
        return self.units

    def initialize(self, rng: np.random.RandomState) -> None:
        self.weights["weight"][...] = rng.standard_normal(self.weights["weight"].shape) * 0.1

    def forward(self, X: np.ndarray, training: bool) -> np.ndarray:
        self.X = X
        Z = X @ self.weights["weight"].T + self.weights["bias"]
        self.A = self.activation.forward(Z, np.empty_like(Z))
        return self.A

    def backward(self, dY: np.ndarray, need_dX: bool = True) -> np.ndarray:
        dZ = self.activation.backward(None, self.A, dY, np.empty_like(dY))
        self.grads["weight"][...] = dZ.T @ self.X
        self.grads["bias"][...] = dZ.sum(axis=0)
        return dZ @ self.weights["weight"]


class HalfSquares(Loss):
    """½ mean squared error."""

    name = "half_squares"
    backend = "fake"

    def prepare_targets(self, y: np.ndarray, outputs: int, dtype: Any) -> np.ndarray:
        return np.asarray(y, dtype=dtype).reshape(len(y), -1)

    def value(self, Z: Any, A: np.ndarray, Y: np.ndarray, fused: bool) -> float:
        return float(0.5 * np.mean((A - Y) ** 2))

    def gradient(self, Z: Any, A: np.ndarray, Y: np.ndarray, fused: bool) -> np.ndarray:
        return (A - Y) / len(Y)


class Descent(Optimizer):
    """Plain gradient descent."""

    name = "descent"
    backend = "fake"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.1}},
    }

    def __init__(self, *, lr: float) -> None:
        self.lr = lr

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        params -= self.lr * grads


class FakeNetwork:
    def __init__(self, layers: list[Layer], loss: Loss, input_dim: int, dtype: str, rng: Any) -> None:
        self.layers, self.loss_fn, self.dtype = layers, loss, np.dtype(dtype)
        width = input_dim
        for layer in layers:
            width = layer.build(width, self.dtype)
        self.output_dim = width
        shapes = [(f"layers.{i}.{p}", s) for i, ly in enumerate(layers) for p, s in ly.param_shapes.items()]
        sizes = [int(np.prod(s)) for _, s in shapes]
        self.flat_params = np.zeros(sum(sizes), self.dtype)
        self.flat_grads = np.zeros(sum(sizes), self.dtype)
        self.parameters, grads, offset = {}, {}, 0
        for (name, shape), size in zip(shapes, sizes, strict=True):
            self.parameters[name] = self.flat_params[offset : offset + size].reshape(shape)
            grads[name] = self.flat_grads[offset : offset + size].reshape(shape)
            offset += size
        for i, layer in enumerate(layers):
            layer.bind(
                {p: self.parameters[f"layers.{i}.{p}"] for p in layer.param_shapes},
                {p: grads[f"layers.{i}.{p}"] for p in layer.param_shapes},
            )
            layer.initialize(rng)

    def to_backend(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X, dtype=self.dtype)

    def prepare_targets(self, y: np.ndarray) -> np.ndarray:
        return self.loss_fn.prepare_targets(y, self.output_dim, self.dtype)

    def batch(self, X: np.ndarray, index: np.ndarray, out: Any = None) -> np.ndarray:
        return X[index]

    def forward(self, X: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            X = layer.forward(X, True)
        return X

    def train_step(self, X: np.ndarray, Y: np.ndarray, optimizer: Optimizer) -> None:
        A = self.forward(X)
        d = self.loss_fn.gradient(None, A, Y, False)
        for layer in reversed(self.layers):
            d = layer.backward(d)
        optimizer.step(self.flat_params, self.flat_grads)

    def loss(self, X: np.ndarray, Y: np.ndarray) -> float:
        return self.loss_fn.value(None, self.forward(X), Y, False)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.forward(self.to_backend(X))

    def is_finite(self) -> bool:
        return bool(np.isfinite(self.flat_params).all())

    def loss_and_gradient(self, flat: np.ndarray, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        raise NotImplementedError

    def state_arrays(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.parameters.items()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        if set(arrays) != set(self.parameters):
            raise ValueError(f"expected arrays {sorted(self.parameters)}, got {sorted(arrays)}")
        for k, v in arrays.items():
            self.parameters[k][...] = v

    def rng_state(self) -> dict[str, Any]:
        return {}

    def set_rng_state(self, state: dict[str, Any]) -> None:
        pass


class FakeBackend(Backend):
    """A few-line numpy backend for tests."""

    name = "fake"

    def network(self, layers, loss, regularizer, *, input_dim, dtype, rng):  # type: ignore[no-untyped-def]
        return FakeNetwork(layers, loss, input_dim, dtype, rng)


COMPONENTS = [Line, Identity, Tanh, Linear, HalfSquares, Descent, FakeBackend]


class FakePlugin:
    """A plugin object, as an entry point would name a module."""

    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        return list(COMPONENTS)


def fake_registry(*extra: tuple[object, str]) -> tuple[PluginManager, Registry]:
    """A fresh plugin manager and registry: nn-core's builtins, the fakes, and ``extra``."""
    pm = get_plugin_manager(
        entry_point_group=None,
        plugins=[(nn_core.builtins, "nn-core"), (FakePlugin, "nn-fake"), *extra],
    )
    return pm, build_registry(pm)


SPEC = """\
name: line-fit
seed: 3
backend: fake
data:
  dataset: {type: line, n: 20}
model:
  layers:
    - {type: linear, units: 4, activation: tanh}
    - {type: linear, units: 1}
loss: half_squares
optimizer: {type: descent, lr: 0.5}
training: {epochs: 200, batch_size: full, log_every: 50}
metrics: []
"""
