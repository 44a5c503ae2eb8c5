"""Lion's update worked by hand, weight decay, and its state."""

from __future__ import annotations

import numpy as np
from nn_example_plugin import Lion


def test_two_steps_by_hand() -> None:
    opt = Lion(lr=0.1, beta1=0.9, beta2=0.99)
    theta = np.array([1.0, -2.0, 0.5])
    opt.setup(theta)
    # step 1, m = 0: c = 0.1·g = [0.03, -0.01, 0]; sign → [1, -1, 0]
    #   θ = [1 − 0.1, −2 + 0.1, 0.5 − 0] = [0.9, −1.9, 0.5]
    #   m = 0.01·g = [0.003, −0.001, 0]
    opt.step(theta, np.array([0.3, -0.1, 0.0]))
    np.testing.assert_allclose(theta, [0.9, -1.9, 0.5], rtol=0, atol=1e-15)
    np.testing.assert_allclose(opt.m, [0.003, -0.001, 0.0], rtol=1e-12)
    # step 2, g = [−0.02, 0.05, 0.2]:
    #   c = 0.9·m + 0.1·g = [0.0027 − 0.002, −0.0009 + 0.005, 0.02] = [0.0007, 0.0041, 0.02] → sign [1, 1, 1]
    #   θ = [0.8, −2.0, 0.4]
    #   m = 0.99·m + 0.01·g = [0.00297 − 0.0002, −0.00099 + 0.0005, 0.002] = [0.00277, −0.00049, 0.002]
    opt.step(theta, np.array([-0.02, 0.05, 0.2]))
    np.testing.assert_allclose(theta, [0.8, -2.0, 0.4], rtol=0, atol=1e-15)
    np.testing.assert_allclose(opt.m, [0.00277, -0.00049, 0.002], rtol=1e-12)


def test_weight_decay_is_decoupled_and_scaled_by_lr() -> None:
    # θ ← θ − lr·(sign(c) + wd·θ) = 2 − 0.1·(1 + 0.5·2) = 1.8
    opt = Lion(lr=0.1, weight_decay=0.5)
    theta = np.array([2.0])
    opt.setup(theta)
    opt.step(theta, np.array([3.0]))
    np.testing.assert_allclose(theta, [1.8], rtol=1e-15)


def test_float32_stays_float32_and_in_place() -> None:
    opt = Lion(lr=1e-3)
    theta = np.ones(5, dtype=np.float32)
    opt.setup(theta)
    buffer = theta
    opt.step(theta, np.linspace(-1, 1, 5, dtype=np.float32))
    assert theta is buffer and theta.dtype == np.float32
    assert opt.state_dict()["m"].dtype == np.float32


def test_state_dict_is_a_copy() -> None:
    opt = Lion()
    theta = np.zeros(3)
    opt.setup(theta)
    opt.step(theta, np.ones(3))
    saved = opt.state_dict()
    opt.step(theta, np.ones(3))
    assert not np.array_equal(saved["m"], opt.state_dict()["m"])
