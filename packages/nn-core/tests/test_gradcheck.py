"""nn_core.gradcheck against hand-written networks: only the Network protocol is used."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from nn_core.errors import NNError
from nn_core.gradcheck import GradcheckResult, check_gradients, parameter_slices, relative_error


class NoisyLayer:
    """Multiplies by a random mask in training; ``freeze`` holds it (the dropout convention)."""

    def __init__(self) -> None:
        self.rng = self.generator = np.random.default_rng(0)
        self.frozen = False
        self.mask: np.ndarray | None = None
        self.freeze_calls: list[bool] = []

    def freeze(self, frozen: bool = True) -> None:
        self.freeze_calls.append(frozen)
        self.frozen = frozen

    def draw(self, shape: tuple[int, ...]) -> np.ndarray:
        if not (self.frozen and self.mask is not None and self.mask.shape == shape):
            self.mask = self.rng.uniform(0.5, 1.5, size=shape)
        return self.mask


class LogisticNetwork:
    """loss = mean softplus(−y·(X·w + b)·mask) + ½‖w‖², flat params [w, b].

    ``wrong`` doubles b's gradient; ``noisy`` adds a random mask like dropout's.
    """

    def __init__(self, features: int, *, wrong: bool = False, noisy: bool = False) -> None:
        self.flat_params = np.linspace(-0.5, 0.7, features + 1)
        self.flat_grads = np.zeros_like(self.flat_params)
        self.parameters = {
            "layers.0.weight": self.flat_params[:features],
            "layers.0.bias": self.flat_params[features:],
        }
        self.wrong = wrong
        self.noise = NoisyLayer() if noisy else None
        self.layers = [self.noise] if noisy else []
        self.buffers = {"layers.0.calls": np.zeros(1)}

    def batch(self, X: np.ndarray, index: np.ndarray, out: Any = None) -> np.ndarray:
        return X[index]

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: p.shape for name, p in self.parameters.items()}

    def get_flat(self) -> np.ndarray:
        return self.flat_params.copy()

    def set_flat(self, flat: np.ndarray) -> None:
        self.flat_params[...] = flat

    def state_arrays(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in {**self.parameters, **self.buffers}.items()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        for k, v in {**self.parameters, **self.buffers}.items():
            v[...] = arrays[k]

    def rng_state(self) -> dict[str, np.ndarray]:
        return {}

    def set_rng_state(self, state: dict[str, np.ndarray]) -> None:
        pass

    def loss_and_gradient(self, flat: np.ndarray, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        self.flat_params[...] = flat
        self.buffers["layers.0.calls"] += 1  # training-mode state, like batch norm's running mean
        w, b = self.parameters["layers.0.weight"], self.parameters["layers.0.bias"]
        margin = -Y * (X @ w + b)
        if self.noise is not None:
            margin = margin * self.noise.draw(margin.shape)
        m = len(Y)
        loss = float(np.logaddexp(0, margin).mean() + 0.5 * w @ w)
        dmargin = 1 / (1 + np.exp(-margin)) / m
        if self.noise is not None:
            dmargin = dmargin * self.noise.mask
        dz = -Y * dmargin
        self.flat_grads[:-1] = X.T @ dz + w
        self.flat_grads[-1] = dz.sum() * (2.0 if self.wrong else 1.0)
        return loss, self.flat_grads.copy()


def experiment(network: Any, n: int = 10, features: int = 3) -> Any:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, features))
    y = np.where(rng.random(n) > 0.5, 1.0, -1.0)
    split = SimpleNamespace(X=X, Y=y, data=SimpleNamespace(y=y))
    return SimpleNamespace(network=network, splits={"train": split}, spec=SimpleNamespace(seed=0))


def test_correct_gradients_pass() -> None:
    result = check_gradients(experiment(LogisticNetwork(3)))
    assert result.passed
    assert set(result.parameters) == {"layers.0.weight", "layers.0.bias"}
    assert result.max_relative_error == max(result.parameters.values()) < 1e-7
    assert result.samples == 8


def test_wrong_gradient_fails_on_that_parameter_only() -> None:
    result = check_gradients(experiment(LogisticNetwork(3, wrong=True)))
    assert not result.passed
    assert result.parameters["layers.0.bias"] > 0.1  # ‖2g − g‖ / ‖2g + g‖ = 1/3
    assert result.parameters["layers.0.weight"] < 1e-7


def test_random_layers_are_frozen_then_released() -> None:
    network = LogisticNetwork(3, noisy=True)
    result = check_gradients(experiment(network))
    assert result.passed, result.parameters
    assert network.noise is not None and network.noise.freeze_calls == [True, False]


def test_unfrozen_randomness_would_fail() -> None:
    network = LogisticNetwork(3, noisy=True)
    network.layers = []  # hide the layer: masks change between evaluations
    assert not check_gradients(experiment(network)).passed


def test_network_is_restored() -> None:
    network = LogisticNetwork(3, noisy=True)
    before = network.flat_params.copy()
    check_gradients(experiment(network))
    np.testing.assert_array_equal(network.flat_params, before)
    assert network.buffers["layers.0.calls"][0] == 0


def test_max_entries_samples_each_parameter() -> None:
    calls = []
    network = LogisticNetwork(6)
    original = network.loss_and_gradient

    def counting(flat: np.ndarray, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(1)
        return original(flat, X, Y)

    network.loss_and_gradient = counting  # type: ignore[method-assign]
    result = check_gradients(experiment(network, features=6), max_entries=2)
    assert result.passed
    assert len(calls) == 1 + 4 * (2 + 1)  # one analytic pass, four evaluations per checked entry


def test_parameter_slices_follow_parameter_shapes() -> None:
    network = LogisticNetwork(3)
    assert parameter_slices(network) == {"layers.0.weight": slice(0, 3), "layers.0.bias": slice(3, 4)}
    network.parameters = {"odd": network.flat_params[::2]}  # shapes that do not cover get_flat()
    with pytest.raises(NNError, match=r"parameter_shapes\(\) do not add up to get_flat\(\)'s length"):
        check_gradients(experiment(network))


def test_gradcheck_through_a_backend_whose_arrays_are_not_numpy(spec_file: Any, registry: Any) -> None:
    from nn_core import build, load_spec

    spec = load_spec(
        spec_file, ["model.layers[1]={type: jitter, scale: 0.3}", "model.layers[2]={type: linear, units: 1}"], registry
    )
    experiment = build(spec, registry)
    network = experiment.network
    before, generators = network.state_arrays(), network.rng_state()
    result = check_gradients(experiment)
    assert result.passed, result.parameters  # jitter's noise is held fixed through Stochastic.freeze
    assert set(result.parameters) == {"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"}
    after = network.state_arrays()
    assert "layers.1.running_scale" in after and not network.layers[1].frozen
    for name in before:  # parameters and the running buffer restored
        np.testing.assert_array_equal(after[name], before[name])
    for name, state in network.rng_state().items():  # and the generator: later training draws the same
        np.testing.assert_array_equal(state, generators[name])


def test_relative_error_conventions() -> None:
    g = np.array([1.0, 2.0])
    assert relative_error(g, g) == 0.0
    assert relative_error(g, 2 * g) == pytest.approx(1 / 3)
    # Both vanish (a bias before batch norm): the absolute difference, not 0/0.
    assert relative_error(np.zeros(2), np.array([1e-11, -1e-11])) == pytest.approx(np.sqrt(2) * 1e-11)


def test_result_to_json() -> None:
    result = GradcheckResult(parameters={"a": 1e-9}, max_relative_error=1e-9, passed=True, samples=8, eps=1e-6)
    data = json.loads(result.to_json())
    assert data == {
        "parameters": {"a": 1e-9},
        "max_relative_error": 1e-9,
        "passed": True,
        "threshold": 1e-7,
        "samples": 8,
        "eps": 1e-6,
        "absolute_errors": {},
        "kinks": {},
        "atol": 1e-9,
        "skipped_samples": [],
    }


class LeakyReluNetwork:
    """loss = mean ½(v·leaky_relu(W x + b) − y)², flat params [W (h×d), b (h), v (h)].

    ``wrong`` scales b's gradient by 1.01 (a subtle bug); ``kink_slope`` is
    the derivative backprop uses at exactly 0 (either side's slope is a
    valid subgradient).
    """

    def __init__(self, features: int, hidden: int, *, wrong: bool = False, kink_slope: float = 0.1) -> None:
        self.d, self.h = features, hidden
        rng = np.random.default_rng(2)
        self.flat_params = np.concatenate(
            [rng.normal(scale=0.5, size=hidden * features), np.zeros(hidden), rng.normal(size=hidden)]
        )
        self.flat_grads = np.zeros_like(self.flat_params)
        hd = hidden * features
        self.parameters = {
            "layers.0.weight": self.flat_params[:hd],
            "layers.0.bias": self.flat_params[hd : hd + hidden],
            "layers.1.weight": self.flat_params[hd + hidden :],
        }
        self.wrong, self.kink_slope, self.alpha = wrong, kink_slope, 0.1

    def batch(self, X: np.ndarray, index: np.ndarray, out: Any = None) -> np.ndarray:
        return X[index]

    def parameter_shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: p.shape for name, p in self.parameters.items()}

    def get_flat(self) -> np.ndarray:
        return self.flat_params.copy()

    def state_arrays(self) -> dict[str, np.ndarray]:
        return {k: v.copy() for k, v in self.parameters.items()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        for k, v in self.parameters.items():
            v[...] = arrays[k]

    def rng_state(self) -> dict[str, np.ndarray]:
        return {}

    def set_rng_state(self, state: dict[str, np.ndarray]) -> None:
        pass

    def loss_and_gradient(self, flat: np.ndarray, X: np.ndarray, Y: np.ndarray) -> tuple[float, np.ndarray]:
        self.flat_params[...] = flat
        W = self.parameters["layers.0.weight"].reshape(self.h, self.d)
        b, v = self.parameters["layers.0.bias"], self.parameters["layers.1.weight"]
        Z = X @ W.T + b
        A = np.where(Z > 0, Z, self.alpha * Z)
        out = A @ v
        m = len(Y)
        loss = float(0.5 * np.mean((out - Y) ** 2))
        dout = (out - Y) / m
        dA = np.outer(dout, v)
        slope = np.where(Z > 0, 1.0, np.where(Z < 0, self.alpha, self.kink_slope))
        dZ = dA * slope
        hd = self.h * self.d
        self.flat_grads[:hd] = (dZ.T @ X).reshape(-1)
        self.flat_grads[hd : hd + self.h] = dZ.sum(axis=0) * (1.01 if self.wrong else 1.0)
        self.flat_grads[hd + self.h :] = A.T @ dout
        return loss, self.flat_grads.copy()


def kinky_experiment(network: Any, n: int = 40, at_kink: int = 3) -> Any:
    """The first ``at_kink`` rows are exactly 0: with zero biases every hidden unit sits on its kink."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(n, network.d))
    X[:at_kink] = 0.0
    y = rng.normal(size=n)
    split = SimpleNamespace(X=X, Y=y, data=SimpleNamespace(y=y))
    return SimpleNamespace(network=network, splits={"train": split}, spec=SimpleNamespace(seed=0))


@pytest.mark.parametrize("kink_slope", [0.1, 1.0])
def test_rows_at_a_kink_are_swapped_and_a_correct_network_passes(kink_slope: float) -> None:
    network = LeakyReluNetwork(2, 4, kink_slope=kink_slope)
    result = check_gradients(kinky_experiment(network))
    assert result.passed, result.parameters
    assert result.skipped_samples == [0, 1, 2]
    assert result.kinks == {}
    assert result.max_relative_error < 1e-7


def test_the_naive_check_would_fail_at_the_kink() -> None:
    from nn_core import gradcheck

    network = LeakyReluNetwork(2, 4)
    exp = kinky_experiment(network)
    theta = network.flat_params.copy()
    chosen = {"layers.0.bias": np.arange(8, 12)}
    naive = gradcheck._check_round(network, exp.splits["train"], np.arange(8), theta, chosen, 1e-4, one_sided=False)
    assert naive.errors["layers.0.bias"] > 1e-3  # the central difference averages the two slopes
    assert naive.kinked["layers.0.bias"] == [8, 9, 10, 11]


def test_a_wrong_backward_still_fails_with_rows_at_a_kink() -> None:
    result = check_gradients(kinky_experiment(LeakyReluNetwork(2, 4, wrong=True)))
    assert not result.passed
    assert result.parameters["layers.0.bias"] > 1e-3
    assert result.parameters["layers.0.weight"] < 1e-7


@pytest.mark.parametrize("wrong", [False, True])
def test_when_every_row_is_at_the_kink_entries_are_compared_one_sided(wrong: bool) -> None:
    network = LeakyReluNetwork(2, 4, wrong=wrong)
    exp = kinky_experiment(network, n=8, at_kink=8)  # no other rows to swap in
    exp.splits["train"].Y[:] = np.arange(8.0)  # all rows predict 0; targets differ, so the loss is not flat
    result = check_gradients(exp)
    assert result.kinks.get("layers.0.bias") == 4
    assert result.passed is (not wrong), result.parameters


def test_absolute_floor_passes_tiny_gradients_with_rounding_noise() -> None:
    result = GradcheckResult(
        parameters={"a": 2e-7, "b": 1e-9}, max_relative_error=2e-7, passed=True, absolute_errors={"a": 3e-12, "b": 0.0}
    )
    assert result.parameter_passed("a") and result.parameter_passed("b")
    loud = GradcheckResult(parameters={"a": 2e-7}, max_relative_error=2e-7, passed=False, absolute_errors={"a": 1e-6})
    assert not loud.parameter_passed("a")
