"""Each optimizer against its textbook update, two steps worked out by hand.

Every test starts from θ₀ = [1, −2] and feeds the same gradients, whatever
θ is: g₁ = [0.5, −1] at step 1, g₂ = [0.25, 0.5] at step 2.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy_specs import make_experiment

from nn_core.contracts import ClosureMinimizer, StepOptimizer
from nn_core.registry import Registry
from nn_core.training import train

G1 = np.array([0.5, -1.0])
G2 = np.array([0.25, 0.5])


def two_steps(registry: Registry, name: str, **params: Any) -> tuple[np.ndarray, np.ndarray, Any]:
    optimizer = registry.create("optimizer", name, "numpy", **params)
    theta = np.array([1.0, -2.0])
    optimizer.setup(theta)
    optimizer.step(theta, G1.copy())
    first = theta.copy()
    optimizer.step(theta, G2.copy())
    return first, theta, optimizer


def test_sgd(registry: Registry) -> None:
    # θ₁ = θ₀ − 0.1·g₁ = [1 − 0.05, −2 + 0.1] = [0.95, −1.9]
    # θ₂ = θ₁ − 0.1·g₂ = [0.95 − 0.025, −1.9 − 0.05] = [0.925, −1.95]
    first, second, _ = two_steps(registry, "sgd", lr=0.1, momentum=0.0, nesterov=False)
    np.testing.assert_allclose(first, [0.95, -1.9], rtol=1e-15)
    np.testing.assert_allclose(second, [0.925, -1.95], rtol=1e-15)


def test_sgd_momentum(registry: Registry) -> None:
    # v₁ = −0.1·g₁ = [−0.05, 0.1];             θ₁ = θ₀ + v₁ = [0.95, −1.9]
    # v₂ = 0.9·v₁ − 0.1·g₂ = [−0.045 − 0.025, 0.09 − 0.05] = [−0.07, 0.04]
    # θ₂ = θ₁ + v₂ = [0.88, −1.86]
    first, second, opt = two_steps(registry, "sgd", lr=0.1, momentum=0.9, nesterov=False)
    np.testing.assert_allclose(first, [0.95, -1.9], rtol=1e-14)
    np.testing.assert_allclose(second, [0.88, -1.86], rtol=1e-14)
    np.testing.assert_allclose(opt.state_dict()["velocity"], [-0.07, 0.04], rtol=1e-14)


def test_sgd_nesterov(registry: Registry) -> None:
    # θ ← θ + μ·v_new − lr·g  (Sutskever's form of Nesterov momentum)
    # v₁ = [−0.05, 0.1];  θ₁ = [1 − 0.045 − 0.05, −2 + 0.09 + 0.1] = [0.905, −1.81]
    # v₂ = [−0.07, 0.04]; θ₂ = [0.905 − 0.063 − 0.025, −1.81 + 0.036 − 0.05] = [0.817, −1.824]
    first, second, _ = two_steps(registry, "sgd", lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(first, [0.905, -1.81], rtol=1e-14)
    np.testing.assert_allclose(second, [0.817, -1.824], rtol=1e-14)


def test_adagrad(registry: Registry) -> None:
    # G₁ = g₁² = [0.25, 1];  θ₁ = θ₀ − 0.1·g₁/√G₁ = [1 − 0.1, −2 + 0.1] = [0.9, −1.9]
    # G₂ = G₁ + g₂² = [0.3125, 1.25]
    # g₂/√G₂ = [0.25/0.5590170, 0.5/1.1180340] = [0.4472136, 0.4472136]
    # θ₂ = θ₁ − 0.1·[0.4472136, 0.4472136] = [0.85527864, −1.94472136]
    first, second, opt = two_steps(registry, "adagrad", lr=0.1, eps=1e-8)
    np.testing.assert_allclose(first, [0.9, -1.9], rtol=1e-7)
    np.testing.assert_allclose(second, [0.85527864, -1.94472136], rtol=1e-7)
    assert opt.state_dict()["step"] == 2


def test_rmsprop(registry: Registry) -> None:
    # E₁ = 0.1·g₁² = [0.025, 0.1];  g₁/√E₁ = [0.5/0.1581139, −1/0.3162278] = [3.1622777, −3.1622777]
    # θ₁ = θ₀ − 0.01·[3.1622777, −3.1622777] = [0.96837722, −1.96837722]
    # E₂ = 0.9·E₁ + 0.1·g₂² = [0.0225 + 0.00625, 0.09 + 0.025] = [0.02875, 0.115]
    # g₂/√E₂ = [0.25/0.1695582, 0.5/0.3391165] = [1.4744196, 1.4744196]
    # θ₂ = θ₁ − 0.01·[1.4744196, 1.4744196] = [0.95363303, −1.98312142]
    first, second, _ = two_steps(registry, "rmsprop", lr=0.01, rho=0.9, eps=1e-8)
    np.testing.assert_allclose(first, [0.96837722, -1.96837722], rtol=1e-7)
    np.testing.assert_allclose(second, [0.95363303, -1.98312142], rtol=1e-7)


def test_adam(registry: Registry) -> None:
    # Step 1: m₁ = 0.1·g₁, v₁ = 0.001·g₁²; bias correction gives m̂ = g₁, v̂ = g₁²,
    #   so θ₁ = θ₀ − 0.1·sign(g₁) = [0.9, −1.9].
    # Step 2: m₂ = 0.9·m₁ + 0.1·g₂ = [0.045 + 0.025, −0.09 + 0.05] = [0.07, −0.04]
    #   v₂ = 0.999·v₁ + 0.001·g₂² = [0.00024975 + 0.0000625, 0.000999 + 0.00025] = [0.00031225, 0.001249]
    #   m̂ = m₂ / (1 − 0.9²) = m₂ / 0.19 = [0.36842105, −0.21052632]
    #   v̂ = v₂ / (1 − 0.999²) = v₂ / 0.001999 = [0.15620310, 0.62481241];  √v̂ = [0.39522538, 0.79045076]
    #   Δ = 0.1·m̂/√v̂ = [0.09321796, −0.02663370];  θ₂ = θ₁ − Δ = [0.80678204, −1.87336630]
    first, second, opt = two_steps(registry, "adam", lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8)
    np.testing.assert_allclose(first, [0.9, -1.9], rtol=1e-7)
    np.testing.assert_allclose(second, [0.80678204, -1.87336630], rtol=1e-7)
    state = opt.state_dict()
    assert state["step"] == 2
    np.testing.assert_allclose(state["m"], [0.07, -0.04], rtol=1e-12)
    np.testing.assert_allclose(state["v"], [0.00031225, 0.001249], rtol=1e-12)


def test_adamw(registry: Registry) -> None:
    # Decoupled decay first: θ ← θ·(1 − lr·wd) = θ·(1 − 0.1·0.1) = 0.99·θ, then Adam's step.
    # Adam's moments never see θ, so its steps are those of test_adam: −0.1·sign(g₁), then Δ.
    # θ₁ = 0.99·[1, −2] − [0.1, −0.1] = [0.89, −1.88]
    # θ₂ = 0.99·[0.89, −1.88] − Δ = [0.8811 − 0.09321796, −1.8612 + 0.02663370] = [0.78788204, −1.83456630]
    first, second, _ = two_steps(registry, "adamw", lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1)
    np.testing.assert_allclose(first, [0.89, -1.88], rtol=1e-7)
    np.testing.assert_allclose(second, [0.78788204, -1.83456630], rtol=1e-7)


@pytest.mark.parametrize(
    "name, params",
    [
        ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        ("adagrad", {"lr": 0.1, "eps": 1e-8}),
        ("rmsprop", {"lr": 0.01, "rho": 0.9, "eps": 1e-8}),
        ("adam", {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
        ("adamw", {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1}),
    ],
)
def test_state_dict_resumes_exactly(registry: Registry, name: str, params: dict[str, Any]) -> None:
    """Two steps in one go equal one step, a save, a fresh optimizer, a load and a step."""
    _, straight, _ = two_steps(registry, name, **params)
    first = registry.create("optimizer", name, "numpy", **params)
    theta = np.array([1.0, -2.0])
    first.setup(theta)
    first.step(theta, G1.copy())
    saved = first.state_dict()
    resumed = registry.create("optimizer", name, "numpy", **params)
    resumed.setup(theta)
    resumed.load_state_dict(saved)
    resumed.step(theta, G2.copy())
    np.testing.assert_array_equal(theta, straight)


@pytest.mark.parametrize("name", ["sgd", "adagrad", "rmsprop", "adam", "adamw"])
def test_float32_state_stays_float32(registry: Registry, name: str) -> None:
    optimizer = registry.create("optimizer", name, "numpy", **({"momentum": 0.9} if name == "sgd" else {}))
    theta = np.array([1.0, -2.0], dtype=np.float32)
    optimizer.setup(theta)
    for _ in range(3):
        optimizer.step(theta, np.array([0.5, -1.0], dtype=np.float32))
    assert theta.dtype == np.float32
    for value in optimizer.state_dict().values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


# -- quasi-Newton: Welch Labs' toy problem (tutorial 001) ---------------------

WELCH_X = np.array([[3.0, 5.0], [5.0, 1.0], [10.0, 2.0]])
WELCH_X = WELCH_X / WELCH_X.max(axis=0)  # hours of sleep, hours of study, scaled per column
WELCH_Y = np.array([75.0, 82.0, 93.0]) / 100  # test score out of 100


def welch_layers() -> list[dict[str, Any]]:
    """2-3-1 sigmoid, no biases, weights like ``np.random.rand``: U[0, 1)."""
    init = {"type": "uniform", "low": 0.0, "high": 1.0}
    return [
        {"type": "dense", "units": 3, "activation": "sigmoid", "use_bias": False, "init": init},
        {"type": "dense", "units": 1, "activation": "sigmoid", "use_bias": False, "init": init},
    ]


@pytest.mark.parametrize("name", ["bfgs", "lbfgs"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quasi_newton_fits_welch_toy(registry: Registry, name: str, seed: int) -> None:
    # The tutorial's BFGS stops at cost ½·Σ(y − ŷ)² = 0.001227 after 51 iterations.
    experiment = make_experiment(
        registry,
        welch_layers(),
        "sum_squared_error",
        {"type": name},
        X=WELCH_X,
        y=WELCH_Y,
        seed=seed,
        training={"epochs": 200, "log_every": 10},
    )
    run = train(experiment)
    final = run.history[-1]["train"]["loss"]
    assert final < 0.002
    assert final == pytest.approx(0.001227, abs=2e-6)  # the tutorial's minimum, from any start
    assert run.history[0]["train"]["loss"] > final
    assert run.epoch < 200  # scipy finished on its own (tol), before 200, and says so
    assert run.stop_reason is not None and run.stop_reason.startswith(f"{name}: converged: gradient norm ")
    assert f"after {run.epoch} iterations (200 allowed)" in run.stop_reason


def test_quasi_newton_stops_at_epochs(registry: Registry) -> None:
    experiment = make_experiment(
        registry, welch_layers(), "sum_squared_error", "bfgs", X=WELCH_X, y=WELCH_Y, training={"epochs": 3}
    )
    run = train(experiment)
    assert run.epoch == 3
    assert [h["epoch"] for h in run.history] == [0, 1, 2, 3]
    assert run.stop_reason == "bfgs: stopped after 3 iterations: training.epochs (3) reached"


def test_quasi_newton_is_a_closure_minimizer(registry: Registry) -> None:
    optimizer = registry.create("optimizer", "bfgs", "numpy", max_iter=10, tol=1e-5)
    assert isinstance(optimizer, ClosureMinimizer) and not isinstance(optimizer, StepOptimizer)
    assert not hasattr(optimizer, "step") and not hasattr(optimizer, "lr")


@pytest.mark.parametrize("name", ["adam", "rmsprop", "sgd"])
def test_a_dead_parameters_state_never_turns_subnormal(registry: Registry, name: str) -> None:
    # One step with a gradient, then zeros (a dead unit): the state decays
    # geometrically. Round-to-nearest would keep it at a few subnormal units
    # forever (0.9 · 4·2⁻¹⁴⁹ rounds back to 4·2⁻¹⁴⁹); the periodic flush zeroes it first.
    params = {"momentum": 0.9} if name == "sgd" else {}
    optimizer = registry.create("optimizer", name, "numpy", lr=0.01, **params)
    theta = np.ones(4, dtype=np.float32)
    optimizer.setup(theta)
    optimizer.step(theta, np.full(4, 0.5, dtype=np.float32))
    tiny = np.finfo(np.float32).tiny
    for _ in range(1500):
        optimizer.step(theta, np.zeros(4, dtype=np.float32))
        for key, value in optimizer.state_dict().items():
            if isinstance(value, np.ndarray):
                assert not ((value != 0) & (np.abs(value) < tiny)).any(), key
    assert np.all(np.isfinite(theta))


def test_without_the_flush_float32_state_gets_stuck_subnormal() -> None:
    # Why the optimizers flush (nn_numpy.subnormal): m ← 0.9·m never reaches 0.
    m = np.float32(1e-3)
    for _ in range(2000):
        m = m * np.float32(0.9)
    assert 0 < m < np.finfo(np.float32).tiny
