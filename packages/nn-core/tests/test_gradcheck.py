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
    }
