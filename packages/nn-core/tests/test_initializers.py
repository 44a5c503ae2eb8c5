"""Initializers (nn-core built-ins, one set for every backend): shapes, float64
numpy results, scales, and the tutorials' draws."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core.registry import Registry

SHAPE = (200, 300)  # (units_out, units_in): fan_in 300, fan_out 200


def draw(
    registry: Registry,
    name: str,
    shape: tuple[int, ...] = SHAPE,
    seed: int = 0,
    **params: object,
) -> np.ndarray:
    return registry.create("initializer", name, "fake", **params)(shape, np.random.RandomState(seed))


@pytest.mark.parametrize(
    "name, std",
    [
        ("glorot_normal", np.sqrt(2 / 500)),
        ("glorot_uniform", np.sqrt(2 / 500)),
        ("he_normal", np.sqrt(2 / 300)),
        ("he_uniform", np.sqrt(2 / 300)),
        ("lecun_normal", np.sqrt(1 / 300)),
    ],
)
def test_variance_scaling(registry: Registry, name: str, std: float) -> None:
    W = draw(registry, name)
    assert W.shape == SHAPE and W.dtype == np.float64
    assert W.mean() == pytest.approx(0, abs=0.05 * std)
    assert W.std() == pytest.approx(std, rel=0.02)


@pytest.mark.parametrize(
    "name",
    [
        "zeros",
        "constant",
        "normal",
        "uniform",
        "glorot_uniform",
        "glorot_normal",
        "he_normal",
        "he_uniform",
        "lecun_normal",
    ],
)
def test_float64_numpy_and_seed(registry: Registry, name: str) -> None:
    a = draw(registry, name, (3, 4))
    assert type(a) is np.ndarray and a.shape == (3, 4) and a.dtype == np.float64
    np.testing.assert_array_equal(a, draw(registry, name, (3, 4)))
    bias = draw(registry, name, (5,))  # 1-D shapes: biases, batch norm's scale
    assert bias.shape == (5,) and bias.dtype == np.float64


def test_initializers_are_registered_once_for_every_backend(registry: Registry) -> None:
    info = registry.get("initializer", "glorot_uniform", "fake")
    assert info.backend is None and info.distribution == "nn-core"
    assert registry.get("initializer", "glorot_uniform", "any-other-backend") is info
    assert registry.get("schedule", "cosine", "fake").backend is None


def test_constant(registry: Registry) -> None:
    np.testing.assert_array_equal(draw(registry, "constant", (2, 3), value=0.25), np.full((2, 3), 0.25))


def test_lecun_normal_reproduces_tutorial_003(registry: Registry) -> None:
    # Tutorial 003: np.random.seed(0); W = np.random.randn(n_in, n_out) / np.sqrt(n_in), stored (n_in, n_out).
    np.random.seed(0)
    tutorial = np.random.randn(2, 3) / np.sqrt(2)
    ours = draw(registry, "lecun_normal", (3, 2), seed=0)  # our layout (units_out, units_in)
    np.testing.assert_array_equal(ours, tutorial.T)


def test_normal_reproduces_tutorial_000(registry: Registry) -> None:
    np.random.seed(42)
    tutorial = np.random.randn(4, 2) * 0.01
    np.testing.assert_array_equal(draw(registry, "normal", (4, 2), seed=42, mean=0.0, std=0.01), tutorial)
