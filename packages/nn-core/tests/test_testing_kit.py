"""nn_core.testing, the plugin authors' conformance kit, against components written here.

nn-core's tests run without any backend installed, so every component below
is a few lines of numpy on a test backend ``kit`` whose arrays are numpy
arrays: a correct one of each kind, and one broken the way plugins really
break (a wrong derivative, gradients added instead of written, state missing
from a checkpoint, float32 silently upcast). The end of the file runs the kit
on the fake backend of ``fakes.py``, whose arrays are not numpy arrays.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
import pytest

from nn_core.component import component_ref
from nn_core.contracts import (
    Activation,
    Backend,
    ClosureMinimizer,
    Initializer,
    Layer,
    Loss,
    MinimizeResult,
    Regularizer,
    Schedule,
    StepOptimizer,
)
from nn_core.registry import Registry
from nn_core.testing import (
    ConformanceError,
    check_activation,
    check_component,
    check_distribution,
    check_initializer,
    check_layer,
    check_loss,
    check_optimizer,
    check_registration,
    check_regularizer,
    check_schedule,
    check_schema,
    components_of_distribution,
    example_value,
)
from nn_core.testing.pytest_plugin import components_of

pytest_plugins = ["pytester"]

# -- correct components ---------------------------------------------------------------


class KitBackend(Backend):
    """The test backend: numpy arrays (Backend's default conversions)."""

    name = "kit"


class Tanh(Activation):
    """tanh."""

    name = "tanh"
    backend = "kit"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.tanh(Z, out=out)

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(A, A, out=out)
        np.subtract(1, out, out=out)
        out *= dA
        return out


class Sigmoid(Activation):
    """Logistic sigmoid."""

    name = "sigmoid"
    backend = "kit"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.negative(Z, out=out)
        np.exp(out, out=out)
        out += 1
        return np.reciprocal(out, out=out)

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.subtract(1, A, out=out)
        out *= A
        out *= dA
        return out


class LeakyRelu(Activation):
    """max(z, alpha·z)."""

    name = "leaky_relu"
    backend = "kit"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"alpha": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.1}},
    }

    def __init__(self, *, alpha: float) -> None:
        self.alpha = alpha

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(Z, self.alpha, out=out)
        return np.maximum(Z, out, out=out)

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.multiply(dA, self.alpha, out=out)
        np.copyto(out, dA, where=Z > 0)
        return out


class Dense(Layer):
    """A = g(X Wᵀ + b)."""

    name = "dense"
    backend = "kit"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "units": {"type": "integer", "minimum": 1},
            "activation": component_ref("activation", default="tanh"),
        },
        "required": ["units"],
    }

    def __init__(self, *, units: int, activation: Activation) -> None:
        self.units, self.activation = units, activation

    def build(self, input_dim: int, dtype: Any) -> int:
        self.param_shapes = {"weight": (self.units, input_dim), "bias": (self.units,)}
        return self.units

    def initialize(self, rng: np.random.RandomState) -> None:
        W = self.weights["weight"]
        W[...] = rng.standard_normal(W.shape) / np.sqrt(W.shape[1])
        self.weights["bias"][...] = 0

    def forward(self, X: np.ndarray, training: bool) -> np.ndarray:
        Z = X @ self.weights["weight"].T + self.weights["bias"]
        A = self.activation.forward(Z, np.empty_like(Z))
        if training:
            self.X, self.Z, self.A = X, Z, A
        return A

    def backward(self, dY: np.ndarray, need_dX: bool = True) -> np.ndarray | None:
        dZ = self.activation.backward(self.Z, self.A, dY, np.empty_like(dY))
        np.matmul(dZ.T, self.X, out=self.grads["weight"])
        np.sum(dZ, axis=0, out=self.grads["bias"])
        return dZ @ self.weights["weight"] if need_dX else None


class Dropout(Layer):
    """Inverted dropout whose masks ``freeze`` holds (the gradcheck convention)."""

    name = "dropout"
    backend = "kit"

    def __init__(self) -> None:
        self.frozen, self.mask = False, None

    def build(self, input_dim: int, dtype: Any) -> int:
        self.param_shapes = {}
        return input_dim

    def initialize(self, rng: np.random.RandomState) -> None:
        self.generator = np.random.default_rng(rng.randint(2**31))

    def freeze(self, frozen: bool = True) -> None:
        self.frozen = frozen

    def forward(self, X: np.ndarray, training: bool) -> np.ndarray:
        if not training:
            return X
        if not (self.frozen and self.mask is not None and self.mask.shape == X.shape):
            self.mask = (self.generator.random(X.shape) > 0.5).astype(X.dtype) * 2
        return X * self.mask

    def backward(self, dY: np.ndarray, need_dX: bool = True) -> np.ndarray | None:
        return dY * self.mask if need_dX else None


class SquaredError(Loss):
    """½ mean over samples of Σ (a − y)²."""

    name = "squared_error"
    backend = "kit"

    def prepare_targets(self, y: np.ndarray, outputs: int, dtype: Any) -> np.ndarray:
        onehot = np.zeros((len(y), outputs), dtype=dtype)
        onehot[np.arange(len(y)), y] = 1
        return onehot

    def value(self, Z: Any, A: np.ndarray, Y: np.ndarray, fused: bool) -> float:
        return float(0.5 * np.square(A - Y).sum() / len(Y))

    def gradient(self, Z: Any, A: np.ndarray, Y: np.ndarray, fused: bool) -> np.ndarray:
        return (A - Y) * (1 / len(Y))


class BinaryCrossEntropy(SquaredError):
    """Mean of −[y log a + (1 − y) log(1 − a)], from logits when fused with sigmoid."""

    name = "binary_cross_entropy"
    fused_activation = "sigmoid"

    def value(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> float:
        if fused:
            return float((np.logaddexp(0, Z) - Y * Z).sum() / len(Y))
        return float(-(Y * np.log(A) + (1 - Y) * np.log(1 - A)).sum() / len(Y))

    def gradient(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> np.ndarray:
        if fused:
            return (A - Y) * (1 / len(Y))
        return (A - Y) / (A * (1 - A) * len(Y))


class Momentum(StepOptimizer):
    """v ← μv − lr·g; θ ← θ + v."""

    name = "momentum"
    backend = "kit"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "lr": {"type": "number", "exclusiveMinimum": 0, "default": 0.05},
            "momentum": {"type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": 0.9},
        },
    }

    def __init__(self, *, lr: float, momentum: float) -> None:
        self.lr, self.momentum = lr, momentum

    def setup(self, params: np.ndarray) -> None:
        self.velocity = np.zeros_like(params)
        self.steps = 0

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        self.velocity *= self.momentum
        self.velocity -= self.lr * grads
        params += self.velocity
        self.steps += 1

    def state_dict(self) -> dict[str, Any]:
        return {"velocity": self.velocity.copy(), "steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.velocity[...] = state["velocity"]
        self.steps = state["steps"]


class ClosureDescent(ClosureMinimizer):
    """Full-batch gradient descent through a closure."""

    name = "closure_descent"

    def minimize(self, fun: Callable[..., Any], x0: np.ndarray, callback: Callable[..., Any]) -> MinimizeResult:
        x = x0.copy()
        for iteration in range(1, 51):
            _, g = fun(x)
            x -= 0.2 * g
            if callback(x):
                return MinimizeResult(x, iteration, False, "stopped by the training loop")
        return MinimizeResult(x, 50, False, "iteration limit (50) reached")


class L2(Regularizer):
    """(λ/2)·ΣW²."""

    name = "l2"
    backend = "kit"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"strength": {"type": "number", "minimum": 0, "default": 0.1}},
    }

    def __init__(self, *, strength: float) -> None:
        self.strength = strength

    def penalty(self, W: np.ndarray) -> float:
        return 0.5 * self.strength * float(np.square(W).sum())

    def add_gradient(self, W: np.ndarray, dW: np.ndarray) -> None:
        dW += self.strength * W


class Normal(Initializer):
    """N(0, 1) draws."""

    name = "normal"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        return rng.standard_normal(shape)


class Halving(Schedule):
    """lr / 2^(epoch // every)."""

    name = "halving"
    backend = "kit"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"every": {"type": "integer", "minimum": 1}},
        "required": ["every"],
    }

    def __init__(self, *, every: int) -> None:
        self.every = every

    def lr(self, base_lr: float, epoch: int) -> float:
        return base_lr / 2 ** (epoch // self.every)


GOOD = [
    Tanh,
    Sigmoid,
    LeakyRelu,
    Dense,
    Dropout,
    SquaredError,
    BinaryCrossEntropy,
    Momentum,
    ClosureDescent,
    L2,
    Normal,
    Halving,
]

# -- broken ones ------------------------------------------------------------------------


class BadTanh(Tanh):
    """tanh whose derivative forgot to square: 1 − A instead of 1 − A²."""

    name = "bad_tanh"

    def backward(self, Z: np.ndarray, A: np.ndarray, dA: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.subtract(1, A, out=out)
        out *= dA
        return out


class UpcastingTanh(Tanh):
    """tanh that writes ``out`` but returns a float64 copy of it."""

    name = "upcasting_tanh"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.tanh(Z, out=out).astype(np.float64)


class OutlessTanh(Tanh):
    """tanh that returns a new array and leaves ``out`` alone."""

    name = "outless_tanh"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        return np.tanh(Z)


class JitteryTanh(Tanh):
    """tanh plus noise from the global generator: not reproducible."""

    name = "jittery_tanh"

    def forward(self, Z: np.ndarray, out: np.ndarray) -> np.ndarray:
        np.tanh(Z, out=out)
        out += np.random.default_rng().uniform(-1e-14, 1e-14, size=Z.shape)
        return out


class BadDense(Dense):
    """Dense whose weight gradient is twice too large."""

    name = "bad_dense"

    def backward(self, dY: np.ndarray, need_dX: bool = True) -> np.ndarray | None:
        dX = super().backward(dY, need_dX)
        self.grads["weight"] *= 2
        return dX


class BadInputDense(Dense):
    """Dense that forgets the activation's derivative on the way to dX."""

    name = "bad_input_dense"

    def backward(self, dY: np.ndarray, need_dX: bool = True) -> np.ndarray | None:
        super().backward(dY, need_dX)
        return dY @ self.weights["weight"] if need_dX else None


class AccumulatingDense(Dense):
    """Dense that adds into its gradient views (PyTorch habit) instead of writing them."""

    name = "accumulating_dense"

    def backward(self, dY: np.ndarray, need_dX: bool = True) -> np.ndarray | None:
        dZ = self.activation.backward(self.Z, self.A, dY, np.empty_like(dY))
        self.grads["weight"] += dZ.T @ self.X
        self.grads["bias"] += dZ.sum(axis=0)
        return dZ @ self.weights["weight"] if need_dX else None


class UnfreezableDropout(Dropout):
    """Dropout without ``freeze``: gradient checks cannot hold its masks."""

    name = "unfreezable_dropout"
    freeze = None  # type: ignore[assignment]

    def forward(self, X: np.ndarray, training: bool) -> np.ndarray:
        self.mask = None
        return super().forward(X, training)


class BadSquares(SquaredError):
    """Squared error whose gradient forgot the 1/m of the mean."""

    name = "bad_squares"

    def gradient(self, Z: Any, A: np.ndarray, Y: np.ndarray, fused: bool) -> np.ndarray:
        return A - Y


class BadFusedCrossEntropy(BinaryCrossEntropy):
    """Cross-entropy whose fused gradient has the wrong sign."""

    name = "bad_fused_cross_entropy"

    def gradient(self, Z: np.ndarray, A: np.ndarray, Y: np.ndarray, fused: bool) -> np.ndarray:
        if fused:
            return (Y - A) * (1 / len(Y))
        return super().gradient(Z, A, Y, fused)


class ForgetfulMomentum(Momentum):
    """Momentum whose checkpoint forgets the velocity."""

    name = "forgetful_momentum"

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps = state["steps"]


class NumpyScalarMomentum(Momentum):
    """Momentum whose step counter is a numpy integer, which JSON cannot hold."""

    name = "numpy_scalar_momentum"

    def state_dict(self) -> dict[str, Any]:
        return {"velocity": self.velocity.copy(), "steps": np.int64(self.steps)}


class Ascent(Momentum):
    """Momentum with the sign flipped: climbs."""

    name = "ascent"

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        super().step(params, -grads)


class Float64Momentum(Momentum):
    """Momentum whose velocity is float64 whatever the parameters are."""

    name = "float64_momentum"

    def setup(self, params: np.ndarray) -> None:
        super().setup(params)
        self.velocity = np.zeros(params.shape)


class FixedLrMomentum(Momentum):
    """Momentum that copies lr at construction and never reads the attribute again."""

    name = "fixed_lr_momentum"

    def __init__(self, *, lr: float, momentum: float) -> None:
        super().__init__(lr=lr, momentum=momentum)
        self.rate = lr

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        self.velocity *= self.momentum
        self.velocity -= self.rate * grads
        params += self.velocity


class SilentClosureDescent(ClosureDescent):
    """Full-batch descent that never calls back: the loop could not count epochs."""

    name = "silent_closure_descent"

    def minimize(self, fun: Callable[..., Any], x0: np.ndarray, callback: Callable[..., Any]) -> MinimizeResult:
        return super().minimize(fun, x0, lambda x: False)


class StubbornClosureDescent(ClosureDescent):
    """Full-batch descent that ignores its callback's request to stop."""

    name = "stubborn_closure_descent"

    def minimize(self, fun: Callable[..., Any], x0: np.ndarray, callback: Callable[..., Any]) -> MinimizeResult:
        def keep_going(x: np.ndarray) -> bool:
            callback(x)
            return False

        return super().minimize(fun, x0, keep_going)


class WritingL2(L2):
    """L2 that overwrites dW instead of adding to it."""

    name = "writing_l2"

    def add_gradient(self, W: np.ndarray, dW: np.ndarray) -> None:
        dW[...] = self.strength * W


class UnseededNormal(Normal):
    """Draws from a fresh unseeded generator, ignoring the RandomState it is given."""

    name = "unseeded_normal"

    def __call__(self, shape: tuple[int, ...], rng: np.random.RandomState) -> np.ndarray:
        return np.random.default_rng().standard_normal(shape)


class NegativeSchedule(Halving):
    """A schedule that goes below zero."""

    name = "negative"

    def lr(self, base_lr: float, epoch: int) -> float:
        return base_lr - 0.01 * epoch


class BadDefault(Momentum):
    """Momentum whose lr default is not a number."""

    name = "bad_default"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "lr": {"type": "number", "default": "fast"},
            "momentum": {"type": "number", "default": 0.9},
        },
    }


class InvalidSchema(Tanh):
    """tanh with a params schema that is not JSON Schema."""

    name = "invalid_schema"
    params_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {"slope": {"type": "slope"}}}


class Undocumented(Tanh):
    name = "undocumented"


# -- helpers --------------------------------------------------------------------------


def registry_of(*entries: tuple[list[type], str, str]) -> Registry:
    """A registry holding ``(classes, distribution, version)`` groups, as installed plugins would,
    plus the ``kit`` backend (whose from_numpy/to_numpy the kit converts with)."""
    registry = Registry()
    for classes, distribution, version in [([KitBackend], "nn-kit-backend", "0.1"), *entries]:
        for cls in classes:
            registry.add(cls, distribution=distribution, version=version, plugin=f"{distribution}:plugin")
    return registry


@pytest.fixture
def kit_registry() -> Registry:
    return registry_of((GOOD, "nn-kit", "0.1"))


KIT = registry_of((GOOD, "nn-kit", "0.1"))


def fails(check: Callable[..., None], cls: type, pattern: str, **kwargs: Any) -> str:
    kwargs.setdefault("registry", KIT)
    with pytest.raises(ConformanceError, match=pattern) as caught:
        check(cls, **kwargs)
    return str(caught.value)


# -- a correct plugin passes ------------------------------------------------------------


def test_good_distribution_passes(kit_registry: Registry) -> None:
    checked = check_distribution("nn-kit", kit_registry)
    assert "activation 'tanh' (nn-kit 0.1)" in checked
    assert len(checked) == len(GOOD)


@pytest.mark.parametrize("cls", GOOD, ids=lambda c: c.name)
def test_good_components_pass_alone(cls: type, kit_registry: Registry) -> None:
    check_component(cls, registry=kit_registry)


def test_parameters_are_passed_through(kit_registry: Registry) -> None:
    check_activation(LeakyRelu, registry=kit_registry, alpha=0.5)
    check_layer(Dense, registry=kit_registry, units=2, activation={"type": "leaky_relu", "alpha": 0.3})
    check_layer(Dense, registry=kit_registry, units=2, activation=Sigmoid())
    with pytest.raises(ValueError, match="has no parameter 'beta'"):
        check_activation(LeakyRelu, registry=kit_registry, beta=1.0)
    with pytest.raises(ValueError, match="parameter alpha is invalid"):
        check_activation(LeakyRelu, registry=kit_registry, alpha=3.0)


# -- the brief's failure messages -------------------------------------------------------


def test_bad_backward_is_caught_naming_component_and_distribution() -> None:
    registry = registry_of(([Tanh, BadTanh], "nn-evil", "0.1"))
    with pytest.raises(AssertionError) as caught:
        check_distribution("nn-evil", registry)
    message = str(caught.value)
    assert re.search(
        r"^activation 'bad_tanh' \(nn-evil 0\.1\): gradient w\.r\.t\. its input is off: "
        r"relative error \d\.\d+ > 1e-6$",
        message,
        re.M,
    ), message
    assert "'tanh'" not in message.replace("'bad_tanh'", "")  # the correct one is not blamed


def test_layer_failure_names_the_parameter(kit_registry: Registry) -> None:
    message = fails(
        check_layer, BadDense, r"layer 'bad_dense': gradient of parameter 'weight' is off", registry=kit_registry
    )
    assert "'bias'" not in message and "input" not in message
    input_off = r"layer 'bad_input_dense': gradient w\.r\.t\. its input is off"
    fails(check_layer, BadInputDense, input_off, registry=kit_registry)


def test_gradients_added_instead_of_written(kit_registry: Registry) -> None:
    fails(check_layer, AccumulatingDense, r"must write \(not add to\) the parameter gradients", registry=kit_registry)


def test_random_layer_needs_freeze() -> None:
    fails(check_layer, UnfreezableDropout, r"training forward is random .* no freeze")


def test_activation_contract_failures() -> None:
    fails(check_activation, UpcastingTanh, r"forward returned float64 for float32 inputs")
    fails(check_activation, OutlessTanh, r"forward must write g\(Z\) into `out`")
    fails(check_activation, JitteryTanh, r"'jittery_tanh': is not deterministic")


def test_loss_failures(kit_registry: Registry) -> None:
    fails(check_loss, BadSquares, r"loss 'bad_squares': gradient w\.r\.t\. its input A \(unfused\) is off")
    fails(
        check_loss,
        BadFusedCrossEntropy,
        r"gradient w\.r\.t\. the logits Z \(fused with 'sigmoid'\) is off",
        registry=kit_registry,
    )
    # The fused check needs the fused activation; without it the failure says so.
    no_sigmoid = registry_of(([BinaryCrossEntropy], "nn-kit", "0.1"))
    fails(check_loss, BinaryCrossEntropy, r"fuses with activation 'sigmoid', which cannot be used", registry=no_sigmoid)


def test_optimizer_failures() -> None:
    fails(
        check_optimizer,
        ForgetfulMomentum,
        r"continuing after state_dict\(\)/load_state_dict\(\) differs .* saved \['steps'\]",
    )
    fails(check_optimizer, NumpyScalarMomentum, r"state_dict\(\)\['steps'\] is a int64: a checkpoint stores numpy")
    fails(check_optimizer, Ascent, r"did not decrease a convex quadratic in 100 steps")
    fails(check_optimizer, Float64Momentum, r"keeps its state 'velocity' in float64 for float32 parameters")
    fails(check_optimizer, FixedLrMomentum, r"ignores changes to its `lr` attribute")
    fails(check_optimizer, SilentClosureDescent, r"minimize never called its callback")
    fails(check_optimizer, StubbornClosureDescent, r"kept iterating after its callback returned True")


def test_regularizer_initializer_schedule_failures() -> None:
    fails(check_regularizer, WritingL2, r"regularizer 'writing_l2': gradient w\.r\.t\. the weights W .* is off")
    fails(check_initializer, UnseededNormal, r"not deterministic under a seed")
    fails(check_schedule, NegativeSchedule, r"lr\(0\.1, 11\) returned -0\.0099.*; a learning rate is a finite number")


def test_schema_failures() -> None:
    fails(check_schema, BadDefault, r"the default 'fast' of parameter 'lr' does not validate")
    fails(check_schema, InvalidSchema, r"activation 'invalid_schema': .*params_schema is not a valid JSON Schema")
    fails(check_schema, Undocumented, r"activation 'undocumented': has no docstring")
    # a required parameter without default gets a valid made-up value
    check_schema(Halving)
    assert example_value({"type": "integer", "minimum": 1}) == (True, 3)
    assert example_value({"type": "number", "exclusiveMinimum": 0, "maximum": 0.05}) == (True, 0.01)
    assert example_value({"type": "string", "examples": ["data.csv"]}) == (True, "data.csv")
    assert example_value({"type": "array", "minItems": 2, "items": {"type": "integer"}}) == (True, [3, 3])


def test_distribution_report_lists_every_failure() -> None:
    registry = registry_of(([BadTanh, BadDense, ForgetfulMomentum, Tanh], "nn-evil", "0.1"))
    with pytest.raises(AssertionError) as caught:
        check_distribution("nn-evil", registry)
    lines = str(caught.value).splitlines()
    assert lines[0] == "3 conformance failure(s) in nn-evil:"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "layer 'bad_dense' (nn-evil 0.1)",
        "activation 'bad_tanh' (nn-evil 0.1)",
        "optimizer 'forgetful_momentum' (nn-evil 0.1)",
    ]


def test_clash_is_a_registration_failure_naming_both() -> None:
    registry = registry_of(([Tanh], "nn-one", "1.0"), ([Tanh], "nn-two", "2.0"))
    for distribution in ("nn-one", "nn_Two"):
        with pytest.raises(AssertionError, match=r"activation 'tanh' .*provided by both nn-one 1\.0 and nn-two 2\.0"):
            check_registration(distribution, registry)


# -- distributions and the pytest plugin ------------------------------------------------------


def test_components_of_gives_one_param_per_component(kit_registry: Registry) -> None:
    params = components_of("nn-kit", kit_registry)
    assert [p.id for p in params][:3] == ["layer-dense", "layer-dropout", "activation-leaky_relu"]
    assert "initializer-normal" in [p.id for p in params]
    assert {p.values[0].cls for p in params} == set(GOOD)
    with pytest.raises(LookupError, match=r"'nn-nothing' registers no nn component .* Distributions that do: nn-kit"):
        components_of_distribution("nn-nothing", kit_registry)


def test_kit_imports_no_backend_and_no_pytest() -> None:
    code = (
        "import sys, nn_core.testing; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('nn_numpy', 'pytest', '_pytest')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.replace("'", '"')) == []


def test_pytest_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["nn_core.testing.pytest_plugin"]')
    pytester.makepyfile(
        """
        import pytest
        from nn_core.testing import check_component
        from nn_core.testing.pytest_plugin import components_of

        @pytest.mark.parametrize("component", components_of("nn-core"))
        def test_conformance(component, nn_registry):
            check_component(component, registry=nn_registry)

        def test_registry_of(nn_registry_of):
            import nn_core.builtins
            registry = nn_registry_of((nn_core.builtins, "nn-core"))
            assert {"accuracy", "f1", "roc_auc", "rmse"} <= set(registry.names("metric"))
        """
    )
    # in a subprocess: this module already imported the plugin, which pytest could not rewrite
    result = pytester.runpytest_subprocess("-v", "-W", "error")
    result.stdout.fnmatch_lines(
        [
            "nn plugins: nn-core *",
            "*test_conformance?initializer-glorot_uniform? PASSED*",
            "*test_conformance?schedule-cosine? PASSED*",
            "*test_conformance?metric-accuracy? PASSED*",
            "*test_conformance?metric-roc_auc? PASSED*",
            "*test_conformance?dataset-arrays? PASSED*",
        ]
    )
    from nn_core.builtins import nn_components

    result.assert_outcomes(passed=len(nn_components()) + 1)  # one conformance test per built-in, plus registry_of


# -- the kit on a backend whose arrays are not numpy arrays ---------------------------------


def test_kit_passes_the_fake_backends_components() -> None:
    from fakes import COMPONENTS, fake_plugins

    registry = fake_plugins().registry
    checked = check_distribution("nn-fake", registry)
    assert "layer 'linear' (nn-fake 0)" in checked and "optimizer 'descent' (nn-fake 0)" in checked
    assert len(checked) == len(COMPONENTS)


def test_kit_converts_through_the_backend_and_catches_a_numpy_leak() -> None:
    from fakes import Box, Tanh, fake_plugins

    class LeakyTanh(Tanh):
        """tanh that returns a numpy array where its backend's array belongs."""

        name = "leaky_tanh"

        def forward(self, Z: Box, out: Box) -> Any:
            super().forward(Z, out)
            return out.a

    registry = fake_plugins().registry
    with pytest.raises(ConformanceError, match=r"'leaky_tanh'.*forward returned ndarray, not an array of its backend"):
        check_activation(LeakyTanh, registry=registry)
