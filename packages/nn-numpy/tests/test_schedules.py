"""Schedules: lr(base_lr, epoch), epochs from 0."""

from __future__ import annotations

import math
from typing import Any

import pytest
from numpy_specs import make_experiment

from nn_core.registry import Registry
from nn_core.training import train


def lrs(registry: Registry, name: str, epochs: range, **params: Any) -> list[float]:
    schedule = registry.create("schedule", name, "numpy", **params)
    return [schedule.lr(0.5, epoch) for epoch in epochs]


def test_constant(registry: Registry) -> None:
    assert lrs(registry, "constant", range(3)) == [0.5, 0.5, 0.5]


def test_step(registry: Registry) -> None:
    # 0.5 · 0.1^⌊epoch / 2⌋
    assert lrs(registry, "step", range(5), step_size=2, gamma=0.1) == pytest.approx([0.5, 0.5, 0.05, 0.05, 0.005])


def test_exponential(registry: Registry) -> None:
    assert lrs(registry, "exponential", range(4), gamma=0.5) == pytest.approx([0.5, 0.25, 0.125, 0.0625])


def test_inverse_time(registry: Registry) -> None:
    # 0.5 / (1 + 0.5·epoch)
    assert lrs(registry, "inverse_time", range(4), decay=0.5) == pytest.approx([0.5, 1 / 3, 0.25, 0.2])


def test_cosine(registry: Registry) -> None:
    values = lrs(registry, "cosine", range(6), t_max=4, min_lr=0.1)
    # 0.1 + 0.4·(1 + cos(π·t/4))/2 for t = 0..4, then held at min_lr
    expected = [0.1 + 0.4 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)] + [0.1]
    assert values == pytest.approx(expected)
    assert values[0] == pytest.approx(0.5) and values[4] == pytest.approx(0.1)


def test_schedules_return_python_floats(registry: Registry) -> None:
    for name, params in [
        ("constant", {}),
        ("step", {"step_size": 1}),
        ("exponential", {}),
        ("inverse_time", {}),
        ("cosine", {"t_max": 3}),
    ]:
        assert all(type(v) is float for v in lrs(registry, name, range(3), **params))


def test_training_loop_applies_schedule(registry: Registry) -> None:
    experiment = make_experiment(
        registry,
        [{"type": "dense", "units": 1, "activation": "sigmoid"}],
        "binary_cross_entropy",
        {"type": "adam", "lr": 0.1},
        schedule={"type": "step", "step_size": 2, "gamma": 0.5},
        training={"epochs": 5},
    )
    train(experiment)
    # the last epoch (4, counted from 0) trained at 0.1 · 0.5^2
    assert experiment.optimizer.lr == pytest.approx(0.025)
