"""Tutorial 000 (planar spirals) reproduced by specs/spirals.yaml and spirals-logistic.yaml."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn_core import build, load_spec, train

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"

# "Cost after iteration i" as tutorial 000 prints it, i = 0, 1000, ..., 9000.
TUTORIAL_COSTS = [0.693141, 0.052671, 0.040765, 0.032499, 0.027457, 0.023722, 0.020082, 0.016282, 0.013001, 0.010872]


@pytest.fixture(scope="module")
def spirals_run():  # type: ignore[no-untyped-def]
    return train(build(load_spec(SPECS / "spirals.yaml")))


def test_cost_trajectory_matches_tutorial(spirals_run) -> None:  # type: ignore[no-untyped-def]
    costs = {row["epoch"]: row["train"]["loss"] for row in spirals_run.history}
    ours = [costs[i] for i in range(0, 10000, 1000)]
    assert np.max(np.abs(np.array(ours) - TUTORIAL_COSTS)) < 1e-3


def tutorial_costs_on_this_machine() -> list[float]:
    """Tutorial 000's own functions, written from its formulas, run here: the costs it prints.

    (features, samples) layout, np.tanh hidden layer, sigmoid 1/(1 + e^-z), the
    cross-entropy through np.log, gradient descent at lr 1.2 on the spirals drawn
    with np.random.seed(42), then W1, W2 drawn from a re-seeded generator.
    """
    np.random.seed(42)
    N, K = 400, 2
    X = np.zeros((N * K, 2))
    Y = np.zeros(N * K, dtype="int")
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0, 1, N)
        t = np.linspace(j * 4.2, (j + 1) * 4.2, N) + np.random.randn(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = 0 if j % 2 == 0 else 1
    X, Y = X.T, Y.reshape(1, -1)
    m = X.shape[1]
    np.random.seed(42)
    W1, b1 = np.random.randn(4, 2) * 0.01, np.zeros((4, 1))
    W2, b2 = np.random.randn(1, 4) * 0.01, np.zeros((1, 1))
    costs = []
    for i in range(10000):
        A1 = np.tanh(np.dot(W1, X) + b1)
        A2 = 1 / (1 + np.exp(-(np.dot(W2, A1) + b2)))
        if i % 1000 == 0:
            logprobs = np.dot(Y, np.log(A2).T) + np.dot(1 - Y, np.log(1 - A2).T)
            costs.append(float(np.squeeze(-logprobs / m)))
        dZ2 = A2 - Y
        dW2 = (1 / m) * np.dot(dZ2, A1.T)
        db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
        dW1 = (1 / m) * np.dot(dZ1, X.T)
        db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
        W1, b1, W2, b2 = W1 - 1.2 * dW1, b1 - 1.2 * db1, W2 - 1.2 * dW2, b2 - 1.2 * db2
    return costs


def test_no_further_from_the_printout_than_the_tutorials_own_code_here(spirals_run) -> None:  # type: ignore[no-untyped-def]
    # Rounding, amplified over 10,000 steps at lr 1.2, moves the tutorial's own
    # code away from its printout by a machine-dependent amount (up to ~1e-3);
    # the spec may drift no further than that, plus 2e-4, at every printed iteration.
    printed = np.array(TUTORIAL_COSTS)
    tutorial_here = np.abs(np.array(tutorial_costs_on_this_machine()) - printed)
    costs = {row["epoch"]: row["train"]["loss"] for row in spirals_run.history}
    ours = np.abs(np.array([costs[i] for i in range(0, 10000, 1000)]) - printed)
    assert np.all(ours <= tutorial_here + 2e-4), list(zip(ours, tutorial_here, strict=True))


def test_accuracy_at_least_99_percent(spirals_run) -> None:  # type: ignore[no-untyped-def]
    assert spirals_run.final_metrics["train"]["accuracy"] >= 0.99


def test_initial_weights_are_the_tutorials_draws(spirals_run) -> None:  # type: ignore[no-untyped-def]
    experiment = build(load_spec(SPECS / "spirals.yaml"))
    rs = np.random.RandomState(42)
    W1, W2 = rs.randn(4, 2) * 0.01, rs.randn(1, 4) * 0.01
    assert np.array_equal(experiment.network.parameters["layers.0.weight"], W1)
    assert np.array_equal(experiment.network.parameters["layers.1.weight"], W2)


def test_logistic_baseline_about_66_percent() -> None:
    run = train(build(load_spec(SPECS / "spirals-logistic.yaml")))
    assert 0.62 <= run.final_metrics["train"]["accuracy"] <= 0.70


def test_float32_trains_without_nan() -> None:
    run = train(build(load_spec(SPECS / "spirals.yaml", ["dtype=float32"])))
    assert run.experiment.network.state_arrays()["layers.0.weight"].dtype == np.float32
    assert run.final_metrics["train"]["accuracy"] >= 0.99


def nn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nn_core.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_train_json(tmp_path: Path) -> None:
    model = tmp_path / "spirals.model"
    result = nn("train", "specs/spirals.yaml", "--json", "-o", str(model))
    assert result.returncode == 0, result.stderr
    final = json.loads(result.stdout.strip().splitlines()[-1])
    assert final["train"]["accuracy"] >= 0.99 and final["epochs"] == 10000
    assert "epoch  1000/10000  train loss 0.0526" in result.stderr
    assert model.is_file()


def test_cli_validate_units_error() -> None:
    result = nn("validate", "specs/spirals.yaml", "--set", "model.layers[1].units=-3")
    assert result.returncode != 0
    assert "model.layers[1].units" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_validate_typo_in_file(tmp_path: Path) -> None:
    spec = tmp_path / "typo.yaml"
    spec.write_text((SPECS / "spirals.yaml").read_text().replace("activation: tanh", "activation: tahn"))
    result = nn("validate", str(spec))
    assert result.returncode != 0
    assert f"{spec}:11:" in result.stderr
    assert "did you mean 'tanh'?" in result.stderr


def test_cli_plugins_lists_the_skeleton_components() -> None:
    result = nn("plugins", "--json")
    assert result.returncode == 0, result.stderr
    # keyed by backend too: with nn-torch installed beside nn-numpy, each compute name is listed twice
    components = json.loads(result.stdout)["components"]
    rows = {(c["kind"], c["name"]): c["distribution"] for c in components if c.get("backend") in ("numpy", None)}
    expected = {
        ("layer", "dense"): "nn-numpy",
        ("activation", "tanh"): "nn-numpy",
        ("activation", "sigmoid"): "nn-numpy",
        ("optimizer", "sgd"): "nn-numpy",
        ("loss", "binary_cross_entropy"): "nn-numpy",
        ("dataset", "spirals"): "nn-datasets",
        ("dataset", "moons"): "nn-datasets",
        ("dataset", "circles"): "nn-datasets",
    }
    assert {k: rows.get(k) for k in expected} == expected
