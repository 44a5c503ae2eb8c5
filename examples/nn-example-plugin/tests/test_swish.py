"""Swish against its formula, z·σ(βz), computed independently."""

from __future__ import annotations

import math

import numpy as np
import pytest
from nn_example_plugin import Swish


def reference(z: float, beta: float) -> tuple[float, float]:
    """g(z) and g'(z) from the definition, in plain Python."""
    s = 1 / (1 + math.exp(-beta * z))
    return z * s, s + beta * z * s * (1 - s)


@pytest.mark.parametrize("beta", [1.0, 0.5, 3.0])
def test_matches_the_formula(beta: float) -> None:
    Z = np.linspace(-6, 6, 25).reshape(5, 5)
    act = Swish(beta=beta)
    A = act.forward(Z, np.empty_like(Z))
    dZ = act.backward(Z, A, np.ones_like(Z), np.empty_like(Z))
    expected = np.array([reference(z, beta) for z in Z.ravel()]).reshape(25, 2)
    np.testing.assert_allclose(A.ravel(), expected[:, 0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dZ.ravel(), expected[:, 1], rtol=1e-12, atol=1e-15)


def test_known_values() -> None:
    # swish(0) = 0; swish(1) = σ(1) = 0.7310585786300049 (β = 1, SiLU); large z: ≈ z, large −z: ≈ 0
    Z = np.array([[0.0, 1.0, 40.0, -40.0]])
    A = Swish().forward(Z, np.empty_like(Z))
    np.testing.assert_allclose(A, [[0.0, 0.7310585786300049, 40.0, 0.0]], atol=1e-15)


def test_no_overflow_for_large_inputs() -> None:
    Z = np.array([[-1e4, 1e4]], dtype=np.float32)
    with np.errstate(all="raise"):
        A = Swish(beta=5.0).forward(Z, np.empty_like(Z))
    assert A.dtype == np.float32
    np.testing.assert_array_equal(A, [[-0.0, 1e4]])


def test_backward_recomputes_after_another_forward() -> None:
    # An evaluation forward on other data between a training forward and its backward
    # must not feed backward the wrong σ(βz).
    act = Swish(beta=2.0)
    Z = np.array([[0.3, -1.2]])
    A = act.forward(Z, np.empty_like(Z))
    act.forward(np.array([[5.0, 5.0]]), np.empty((1, 2)))
    dZ = act.backward(Z, A, np.ones_like(Z), np.empty_like(Z))
    np.testing.assert_allclose(dZ.ravel(), [reference(z, 2.0)[1] for z in Z.ravel()], rtol=1e-12)
