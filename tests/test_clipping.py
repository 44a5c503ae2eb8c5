"""training.clip_norm / clip_value: the step taken is the clipped gradient's, on the real numpy backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nn_core import build, load_spec, train
from nn_core.clipping import ClippedOptimizer, clip_gradients, global_norm
from nn_core.errors import NNError
from nn_core.spec import SpecError

ROOT = Path(__file__).resolve().parents[1]
SPIRALS = str(ROOT / "specs" / "spirals.yaml")


def _one_step(*overrides: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(θ before, θ after one full-batch sgd step, the unclipped gradient at θ before)."""
    spec = load_spec(SPIRALS, overrides=["training.epochs=1", "optimizer.lr=0.5", *overrides])
    experiment = build(spec)
    network = experiment.network
    before = network.get_flat()
    split = experiment.splits["train"]
    _, grad = network.loss_and_gradient(before.copy(), split.X, split.Y)
    grad = np.array(grad, copy=True)
    network.set_flat(before)
    train(experiment)
    return before, network.get_flat(), grad


@pytest.mark.parametrize("limit", [1e-3, 0.01, 100.0])
def test_clip_norm_rescales_the_step_to_the_limit(limit: float) -> None:
    before, after, grad = _one_step(f"training.clip_norm={limit}")
    scale = min(1.0, limit / np.linalg.norm(grad))
    np.testing.assert_allclose(after, before - 0.5 * grad * scale, rtol=1e-9, atol=1e-15)
    assert np.linalg.norm((before - after) / 0.5) <= limit * (1 + 1e-9)


def test_clip_value_clamps_each_entry() -> None:
    before, after, grad = _one_step("training.clip_value=1e-3")
    assert np.abs(grad).max() > 1e-3  # the clamp bites
    np.testing.assert_allclose(after, before - 0.5 * np.clip(grad, -1e-3, 1e-3), rtol=1e-9, atol=1e-15)


def test_value_then_norm_as_keras_applies_them() -> None:
    grads = [np.array([3.0, -0.5]), np.array([[4.0]])]
    total = clip_gradients(grads, value=2.0, norm=1.0)
    assert total == pytest.approx(np.sqrt(4 + 0.25 + 4))
    assert global_norm(grads) == pytest.approx(1.0)
    np.testing.assert_allclose(grads[0], np.array([2.0, -0.5]) / total)


def test_no_clipping_below_the_limit_and_the_wrapper_delegates() -> None:
    grads = np.array([0.3, 0.4])
    clip_gradients(grads, norm=1.0)
    np.testing.assert_array_equal(grads, [0.3, 0.4])
    experiment = build(load_spec(SPIRALS, overrides=["training.clip_norm=1", "optimizer.lr=0.7"]))
    optimizer = experiment.optimizer
    assert isinstance(optimizer, ClippedOptimizer) and optimizer.lr == 0.7
    optimizer.lr = 0.1
    assert optimizer.inner.lr == 0.1 and optimizer.state_dict() == optimizer.inner.state_dict()


def test_bad_limits_and_quasi_newton_are_refused() -> None:
    with pytest.raises(SpecError, match=r"training\.clip_norm"):
        load_spec(SPIRALS, overrides=["training.clip_norm=0"])
    spec = load_spec(str(ROOT / "specs" / "welch-bfgs.yaml"), overrides=["training.clip_value=1"])
    with pytest.raises(NNError, match="training.clip_value: bfgs minimizes the full-batch loss"):
        build(spec)
