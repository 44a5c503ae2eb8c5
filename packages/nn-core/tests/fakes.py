"""A tiny backend written for nn-core's tests: nn-core must work with any backend.

Its arrays are :class:`Box` objects, NOT numpy arrays: a wrapper that numpy
refuses to convert (``__array__`` raises, ``__array_ufunc__ = None``), with
no indexing, no ``len`` and no arithmetic operators. Only this backend's own
components look inside (``box.a``). So if nn-core ever treats a backend
array as numpy (``np.asarray(network_array)``, ``flat.copy()``, slicing
``split.X[:1]``, ``isinstance(v, np.ndarray)`` sorting), a test fails.

The backend has dense layers (``linear``), a stochastic layer with a
running buffer (``jitter``: its own generator and a ``running_scale``), a
squared-error loss, a step optimizer with momentum (``descent``: numpy state
by name in ``state_dict``) and a closure minimizer (``steepest``), so the
training loop, checkpoints, resume, model files and gradient checks are all
driven through it without nn-numpy installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, NoReturn

import numpy as np

import nn_core.builtins
from nn_core import hookimpl
from nn_core.component import component_ref
from nn_core.contracts import (
    Activation,
    Backend,
    ClosureMinimizer,
    Data,
    Dataset,
    Layer,
    Loss,
    MinimizeResult,
    OptimizerState,
    StepOptimizer,
)
from nn_core.plugins import PluginManager, Plugins, build_registry, get_plugin_manager
from nn_core.registry import Registry


class Box:
    """The fake backend's array. Deliberately not a numpy array, nor convertible to one."""

    __slots__ = ("a",)
    __array_ufunc__ = None  # numpy ufuncs refuse a Box instead of converting it
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, a: np.ndarray) -> None:
        self.a = a

    def __array__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("a fake-backend Box is not a numpy array: nn-core must convert through the backend")

    def __repr__(self) -> str:
        return f"Box(shape={self.a.shape}, dtype={self.a.dtype})"

    def __bool__(self) -> bool:
        raise TypeError("a fake-backend Box has no truth value")

    def __eq__(self, other: object) -> bool:
        raise TypeError("a fake-backend Box cannot be compared by nn-core")


def box(a: Any, dtype: Any) -> Box:
    return Box(np.array(a, dtype=dtype, copy=True))


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
    f: ClassVar[Callable[[np.ndarray], np.ndarray]]
    df: ClassVar[Callable[[np.ndarray], np.ndarray]]

    def forward(self, Z: Box, out: Box) -> Box:
        out.a[...] = self.f(Z.a)
        return out

    def backward(self, Z: Box, A: Box, dA: Box, out: Box) -> Box:
        out.a[...] = dA.a * self.df(A.a)
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
    """Dense layer of the fake backend, initialized by nn-core's initializers."""

    name = "linear"
    backend = "fake"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "units": {"type": "integer", "minimum": 1},
            "activation": component_ref("activation", default="identity"),
            "init": component_ref("initializer", default={"type": "normal", "std": 0.1}),
        },
        "required": ["units"],
    }

    def __init__(self, *, units: int, activation: Activation, init: Any) -> None:
        self.units, self.activation, self.init = units, activation, init

    def build(self, input_dim: int, dtype: Any) -> int:
        self.dtype = np.dtype(dtype)
        self.param_shapes = {"weight": (self.units, input_dim), "bias": (self.units,)}
        return self.units

    def initialize(self, rng: np.random.RandomState) -> None:
        W = self.weights["weight"]
        W.a[...] = self.init(W.a.shape, rng)  # a float64 numpy draw, converted by the backend

    def forward(self, X: Box, training: bool) -> Box:
        self.X = X
        Z = X.a @ self.weights["weight"].a.T + self.weights["bias"].a
        self.A = self.activation.forward(Box(Z), Box(np.empty_like(Z)))
        return self.A

    def backward(self, dY: Box, need_dX: bool = True) -> Box | None:
        dZ = self.activation.backward(None, self.A, dY, Box(np.empty_like(dY.a)))  # type: ignore[arg-type]
        self.grads["weight"].a[...] = dZ.a.T @ self.X.a
        self.grads["bias"].a[...] = dZ.a.sum(axis=0)
        return Box(dZ.a @ self.weights["weight"].a) if need_dX else None


class Jitter(Layer):
    """Multiplies inputs by 1 + scale·noise in training (its own generator); identity at evaluation
    but for a running buffer it keeps. Implements the Stochastic and HasBuffers protocols."""

    name = "jitter"
    backend = "fake"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"scale": {"type": "number", "minimum": 0, "default": 0.1}},
    }

    def __init__(self, *, scale: float) -> None:
        self.scale = scale
        self.generator: np.random.Generator | None = None
        self.frozen = False
        self.noise: np.ndarray | None = None

    def build(self, input_dim: int, dtype: Any) -> int:
        self.dtype = np.dtype(dtype)
        self.param_shapes = {}
        self.running_scale = Box(np.zeros(input_dim, dtype=self.dtype))
        return input_dim

    def initialize(self, rng: np.random.RandomState) -> None:
        self.generator = np.random.default_rng(rng.randint(2**31))

    def buffers(self) -> dict[str, Box]:
        return {"running_scale": self.running_scale}

    def freeze(self, frozen: bool) -> None:
        self.frozen = frozen

    def forward(self, X: Box, training: bool) -> Box:
        if not training:
            return Box(X.a.copy())
        assert self.generator is not None
        if not (self.frozen and self.noise is not None and self.noise.shape == X.a.shape):
            self.noise = (1 + self.scale * self.generator.standard_normal(X.a.shape)).astype(X.a.dtype)
        self.running_scale.a[...] = 0.9 * self.running_scale.a + 0.1 * np.abs(X.a).mean(axis=0)
        return Box(X.a * self.noise)

    def backward(self, dY: Box, need_dX: bool = True) -> Box | None:
        assert self.noise is not None
        return Box(dY.a * self.noise) if need_dX else None


class HalfSquares(Loss):
    """½ mean squared error."""

    name = "half_squares"
    backend = "fake"

    def prepare_targets(self, y: np.ndarray, outputs: int, dtype: Any) -> Box:
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if Y.shape[1] != outputs:
            raise ValueError(f"targets have {Y.shape[1]} columns for {outputs} outputs")
        return box(Y, dtype)

    def value(self, Z: Any, A: Box, Y: Box, fused: bool) -> float:
        return float(0.5 * np.mean((A.a - Y.a) ** 2))

    def gradient(self, Z: Any, A: Box, Y: Box, fused: bool) -> Box:
        return Box((A.a - Y.a) / Y.a.size)


class Descent(StepOptimizer):
    """Gradient descent with optional momentum, on the fake network's dict of Boxes."""

    name = "descent"
    backend = "fake"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.1},
            "momentum": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.0},
        },
    }

    def __init__(self, *, lr: float, momentum: float) -> None:
        self.lr, self.momentum = lr, momentum
        self.velocity: dict[str, Box] = {}
        self.steps = 0

    @staticmethod
    def _named(arrays: dict[str, Box] | Box) -> dict[str, Box]:
        """The fake network's storage is a dict of Boxes; the conformance kit passes one Box."""
        return {"all": arrays} if isinstance(arrays, Box) else arrays

    def setup(self, params: dict[str, Box] | Box) -> None:
        self.velocity = {name: Box(np.zeros_like(p.a)) for name, p in self._named(params).items()}

    def step(self, params: dict[str, Box] | Box, grads: dict[str, Box] | Box) -> None:
        self.steps += 1
        named = self._named(grads)
        for name, p in self._named(params).items():
            v = self.velocity[name]
            v.a[...] = self.momentum * v.a - self.lr * named[name].a
            p.a += v.a

    def state_dict(self) -> OptimizerState:
        return {"steps": self.steps, **{f"velocity.{n}": v.a.copy() for n, v in self.velocity.items()}}

    def load_state_dict(self, state: OptimizerState) -> None:
        self.steps = int(state["steps"])  # type: ignore[arg-type]
        for name, v in self.velocity.items():
            v.a[...] = state[f"velocity.{name}"]


class Steepest(ClosureMinimizer):
    """Fixed-step steepest descent on the flat vector: a closure minimizer without scipy."""

    name = "steepest"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "step": {"type": "number", "exclusiveMinimum": 0, "default": 0.5},
            "max_iter": {"type": "integer", "minimum": 1, "default": 1000},
            "tol": {"type": "number", "exclusiveMinimum": 0, "default": 1e-6},
        },
    }

    def __init__(self, *, step: float, max_iter: int, tol: float) -> None:
        self.step, self.max_iter, self.tol = step, max_iter, tol

    def minimize(
        self,
        fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
        x0: np.ndarray,
        callback: Callable[[np.ndarray], bool],
    ) -> MinimizeResult:
        x = np.array(x0, dtype=np.float64)
        for iteration in range(1, self.max_iter + 1):
            _, g = fun(x)
            norm = float(np.abs(g).max())
            if norm < self.tol:
                return MinimizeResult(x, iteration - 1, True, f"converged: gradient norm {norm:.1e} below tolerance")
            x = x - self.step * g
            if callback(x.copy()):
                return MinimizeResult(x, iteration, False, "stopped by the training loop")
        return MinimizeResult(x, self.max_iter, False, f"iteration limit ({self.max_iter}) reached")


class FakeNetwork:
    """The fake backend's network: one Box per parameter, never a flat buffer."""

    def __init__(self, layers: list[Layer], loss: Loss, input_dim: int, dtype: str, rng: Any) -> None:
        self.layers, self.loss_fn, self.dtype = layers, loss, np.dtype(dtype)
        width = input_dim
        for layer in layers:
            width = layer.build(width, self.dtype)
        self.output_dim = width
        self.params: dict[str, Box] = {}
        self.grads: dict[str, Box] = {}
        for i, layer in enumerate(layers):
            mine = {p: Box(np.zeros(s, self.dtype)) for p, s in layer.param_shapes.items()}
            grads = {p: Box(np.zeros(s, self.dtype)) for p, s in layer.param_shapes.items()}
            self.params.update({f"layers.{i}.{p}": b for p, b in mine.items()})
            self.grads.update({f"layers.{i}.{p}": b for p, b in grads.items()})
            layer.bind(mine, grads)
            layer.initialize(rng)

    def to_backend(self, X: np.ndarray) -> Box:
        return box(X, self.dtype)

    def prepare_targets(self, y: np.ndarray) -> Box:
        return self.loss_fn.prepare_targets(y, self.output_dim, self.dtype)  # type: ignore[no-any-return]

    def batch(self, X: Box, index: np.ndarray, out: Any = None) -> Box:
        return Box(X.a[index])

    def forward(self, X: Box, training: bool) -> Box:
        for layer in self.layers:
            X = layer.forward(X, training)
        return X

    def backward(self, X: Box, Y: Box) -> None:
        d = self.loss_fn.gradient(None, self.forward(X, True), Y, False)
        for layer in reversed(self.layers):
            d = layer.backward(d)

    def setup_optimizer(self, optimizer: StepOptimizer) -> None:
        optimizer.setup(self.params)

    def train_step(self, X: Box, Y: Box, optimizer: StepOptimizer) -> None:
        self.backward(X, Y)
        optimizer.step(self.params, self.grads)

    def loss(self, X: Box, Y: Box) -> float:
        return self.loss_fn.value(None, self.forward(X, False), Y, False)

    def predict_proba(self, X: Box) -> np.ndarray:
        return self.forward(X, False).a.astype(np.float64)

    def is_finite(self) -> bool:
        return all(np.isfinite(p.a).all() for p in self.params.values())

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: p.a.shape for name, p in self.params.items()}

    def get_flat(self) -> np.ndarray:
        return np.concatenate([p.a.reshape(-1) for p in self.params.values()]).astype(np.float64)

    def set_flat(self, flat: np.ndarray) -> None:
        offset = 0
        for p in self.params.values():
            p.a[...] = flat[offset : offset + p.a.size].reshape(p.a.shape)
            offset += p.a.size

    def loss_and_gradient(self, flat: np.ndarray, X: Box, Y: Box) -> tuple[float, np.ndarray]:
        self.set_flat(flat)
        value = self.loss_fn.value(None, self.forward(X, True), Y, False)
        self.backward(X, Y)  # the same forward again: frozen or deterministic layers give the same
        return value, np.concatenate([g.a.reshape(-1) for g in self.grads.values()]).astype(np.float64)

    def _buffers(self) -> dict[str, Box]:
        return {
            f"layers.{i}.{n}": b
            for i, layer in enumerate(self.layers)
            if isinstance(layer, Jitter)
            for n, b in layer.buffers().items()
        }

    def state_arrays(self) -> dict[str, np.ndarray]:
        return {k: v.a.copy() for k, v in {**self.params, **self._buffers()}.items()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        targets = {**self.params, **self._buffers()}
        if set(arrays) != set(targets):
            raise ValueError(f"expected arrays {sorted(targets)}, got {sorted(arrays)}")
        for k, v in arrays.items():
            if v.shape != targets[k].a.shape:
                raise ValueError(f"{k} has shape {v.shape}, the network needs {targets[k].a.shape}")
            targets[k].a[...] = v

    def rng_state(self) -> dict[str, np.ndarray]:
        states = {}
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Jitter) and layer.generator is not None:
                s = layer.generator.bit_generator.state
                words = [s["state"]["state"], s["state"]["inc"], s["has_uint32"], s["uinteger"]]
                halves = [part for w in words for part in (w >> 64, w & (2**64 - 1))]  # 128-bit ints, exactly
                states[f"layers.{i}.generator"] = np.array(halves, dtype=np.uint64)
        return states

    def set_rng_state(self, state: dict[str, np.ndarray]) -> None:
        for name, words in state.items():
            layer = self.layers[int(name.split(".")[1])]
            assert isinstance(layer, Jitter) and layer.generator is not None
            halves = [int(w) for w in words]
            s, inc, has, uint = ((halves[k] << 64) | halves[k + 1] for k in range(0, 8, 2))
            layer.generator.bit_generator.state = {
                "bit_generator": "PCG64",
                "state": {"state": s, "inc": inc},
                "has_uint32": has,
                "uinteger": uint,
            }


class FakeBackend(Backend):
    """A few-line backend for tests whose arrays are not numpy arrays."""

    name = "fake"
    dtypes: ClassVar[tuple[str, ...]] = ("float64", "float32")
    known_devices: ClassVar[tuple[str, ...]] = ("cpu", "fakegpu")

    @classmethod
    def devices(cls) -> tuple[str, ...]:
        return ("cpu",)  # "fakegpu" is a known device name that this machine lacks

    @staticmethod
    def to_numpy(array: Any) -> np.ndarray:
        if not isinstance(array, Box):
            raise TypeError(f"the fake backend's arrays are Boxes, got {type(array).__name__}")
        return array.a.copy()

    @staticmethod
    def from_numpy(array: np.ndarray, dtype: str, device: str) -> Box:
        return box(array, dtype)

    def network(self, layers, loss, regularizer, *, input_dim, dtype, device, rng):  # type: ignore[no-untyped-def]
        return FakeNetwork(layers, loss, input_dim, dtype, rng)


COMPONENTS = [Line, Identity, Tanh, Linear, Jitter, HalfSquares, Descent, Steepest, FakeBackend]


class V2:
    """Base of the tests' plugin objects: written for plugin contract v2."""

    @staticmethod
    @hookimpl
    def nn_contract_version() -> int:
        return 2


class FakePlugin(V2):
    """A plugin object, as an entry point would name a module."""

    @staticmethod
    @hookimpl
    def nn_components() -> list[type]:
        return list(COMPONENTS)


def fake_plugins(*extra: tuple[object, str]) -> Plugins:
    """Fresh plugins: nn-core's builtins, the fakes, and ``extra`` ((plugin, distribution) pairs)."""
    pm = get_plugin_manager(
        entry_point_group=None,
        plugins=[(nn_core.builtins, "nn-core"), (FakePlugin, "nn-fake"), *extra],
    )
    return Plugins(pm, build_registry(pm))


def install(monkeypatch: Any, loaded: Plugins) -> None:
    """Make ``loaded`` what the CLI (and every ``plugins=None`` call) loads as installed."""
    import nn_core.plugins

    monkeypatch.setattr(nn_core.plugins, "load_plugins", lambda *args, **kwargs: loaded)


def fake_registry(*extra: tuple[object, str]) -> tuple[PluginManager, Registry]:
    """A fresh plugin manager and registry: nn-core's builtins, the fakes, and ``extra``."""
    plugins = fake_plugins(*extra)
    return plugins.pm, plugins.registry


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
