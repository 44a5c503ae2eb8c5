"""The metric check: ``compute(y_true, proba)`` in every situation nn calls it in.

nn hands a metric the split's raw targets and the output layer's float64
activations (docs/plugins.md, metrics): integer labels with one sigmoid
column or with softmax columns, float values with one or several outputs. A
metric answers each with a finite number, or refuses one that does not apply
with ``nn_core.errors.DataError``; anything else (an IndexError on the
single sigmoid column, a result of NaN, inputs changed in place, which the
next metric would read) is a conformance failure.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from nn_core.component import Component
from nn_core.errors import DataError
from nn_core.registry import ComponentInfo, Registry
from nn_core.testing._common import SEED, subject


def _situations() -> list[tuple[str, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(SEED)
    n = 24
    binary = np.arange(n) % 2
    sigmoid = np.clip(0.5 + 0.4 * (2 * binary - 1) * rng.uniform(0.2, 1.0, n), 0.01, 0.99).reshape(-1, 1)
    labels = np.arange(n) % 3
    logits = rng.normal(size=(n, 3)) + 2.0 * np.eye(3)[labels]
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    values = rng.normal(size=n)
    pairs = rng.normal(size=(n, 2))
    return [
        ("a one-sigmoid-unit binary model (labels (n,), proba (n, 1))", binary.astype(np.int64), sigmoid),
        ("a softmax model (labels (n,), proba (n, 3))", labels.astype(np.int64), softmax),
        ("a one-output regression (values (n,), outputs (n, 1))", values, (values + 0.1 * rng.normal(size=n))[:, None]),
        ("a two-output regression (values (n, 2), outputs (n, 2))", pairs, pairs + 0.1 * rng.normal(size=(n, 2))),
    ]


def check_metric(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """``compute(y_true, proba)`` on binary, softmax and regression inputs: a finite number, the
    same for the same inputs, inputs left unchanged, or ``DataError`` where it does not apply
    (it must apply somewhere)."""
    subj = subject(component, registry, params, "metric")
    metric, again = subj.new(), subj.new()
    applied = []
    for situation, y_true, proba in _situations():
        y_copy, p_copy = y_true.copy(), proba.copy()
        try:
            value = metric.compute(y_true, proba)
        except DataError:
            continue
        except Exception as exc:
            raise subj.fail(
                f"compute on {situation} raised {type(exc).__name__}: {exc}; a metric that does not apply "
                "raises nn_core.errors.DataError"
            ) from exc
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
            raise subj.fail(f"compute on {situation} returned {value!r}; a metric returns a finite number")
        if not (np.array_equal(y_true, y_copy) and np.array_equal(proba, p_copy)):
            raise subj.fail(f"compute on {situation} changed its inputs in place; the next metric reads them")
        if again.compute(y_copy, p_copy) != value:
            raise subj.fail(f"is not deterministic: compute on {situation} differs between two instances")
        applied.append(situation)
    if not applied:
        raise subj.fail("raised DataError on every kind of target (binary, softmax, regression): it applies to none")
