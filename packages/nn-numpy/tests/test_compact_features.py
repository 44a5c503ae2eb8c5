"""Training from compact features (nn_core.compact): the integers, scaled batch by batch, give the
same bits as training from the float array, which is never made."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy_specs import make_spec

from nn_core import build, train
from nn_core.compact import ScaledIntegerData
from nn_core.contracts import Data
from nn_core.gradcheck import check_gradients
from nn_core.registry import Registry
from nn_numpy.scaled_rows import ScaledRows

LAYERS = [
    {"type": "dense", "units": 12, "activation": "relu"},
    {"type": "dropout", "rate": 0.2},
    {"type": "dense", "units": 3, "activation": "softmax"},
]


def pixels(n: int = 300, width: int = 16) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(4)
    raw = rng.integers(0, 256, (n, width), dtype=np.uint8)
    y = (raw[:, :4].sum(axis=1) // 256 + raw[:, 5] // 128) % 3
    return raw, y


def run(registry: Registry, data: Data, dtype: str, **training: Any) -> Any:
    spec = make_spec(
        registry,
        LAYERS,
        "categorical_cross_entropy",
        {"type": "adam", "lr": 0.01},
        dtype=dtype,
        data={"dataset": {"type": "inline", "features": [[0.0] * 16], "targets": [0]}, "split": {"dev": 0.2}},
        metrics=["accuracy"],
        training={"epochs": 6, "log_every": 2, **training},
    )
    experiment = build(spec, registry, data=data)
    return experiment, train(experiment)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("batch", [32, 7])  # 7: the last batch of an epoch is smaller
def test_minibatches_from_the_integers_are_bit_identical_to_the_floats(
    registry: Registry, dtype: str, batch: int
) -> None:
    raw, y = pixels()
    compact = ScaledIntegerData(raw, 255, dtype, y)
    dense = Data(np.divide(raw, 255.0, dtype=dtype), y)
    a, run_a = run(registry, compact, dtype, batch_size=batch)
    b, run_b = run(registry, dense, dtype, batch_size=batch)
    assert isinstance(a.splits["train"].X, ScaledRows) and isinstance(a.splits["dev"].X, ScaledRows)
    assert isinstance(b.splits["train"].X, np.ndarray)
    assert run_a.history == run_b.history  # losses and accuracies at every log, train and dev
    for name, array in a.network.state_arrays().items():
        assert array.tobytes() == b.network.state_arrays()[name].tobytes(), name
    assert a.data_hash == b.data_hash
    assert a.splits["train"].data._X is None  # the float array was never made


def test_a_full_batch_trains_on_the_floats(registry: Registry) -> None:
    raw, y = pixels(60)
    compact = ScaledIntegerData(raw, 255, "float64", y)
    experiment, run_a = run(registry, compact, "float64")
    assert isinstance(experiment.splits["train"].X, np.ndarray)  # scaling all of it at every step would be waste
    assert isinstance(experiment.splits["dev"].X, ScaledRows)  # evaluated in chunks: stays compact
    _, run_b = run(registry, Data(compact.X, y), "float64")
    assert run_a.history == run_b.history


def test_scaled_rows_give_the_rows_of_x(registry: Registry) -> None:
    raw, _ = pixels(50)
    rows = ScaledRows(raw, 255.0, "float32")
    X = np.divide(raw, 255.0, dtype="float32")
    index = np.array([3, 49, 0, 3])
    out = np.full((4, 16), np.nan, dtype="float32")
    assert rows.take(index, out) is out
    np.testing.assert_array_equal(out, X[index])
    np.testing.assert_array_equal(rows[5:9], X[5:9])
    np.testing.assert_array_equal(rows.dense(), X)
    assert len(rows) == 50 and rows.shape == (50, 16)
    np.testing.assert_array_equal(np.asarray(rows), X)  # numpy code handed the backend array reads X
    assert np.asarray(rows, dtype=np.float64).dtype == np.float64


def test_predictions_on_the_compact_split_equal_those_on_its_floats(registry: Registry) -> None:
    raw, y = pixels(80)
    experiment, _ = run(registry, ScaledIntegerData(raw, 255, "float32", y), "float32", batch_size=16, epochs=1)
    network, split = experiment.network, experiment.splits["train"]
    assert isinstance(split.X, ScaledRows)
    expected = network.predict_proba(network.to_backend(split.data.head(len(split.data.y))))
    np.testing.assert_array_equal(network.predict_proba(split.X), expected)


def test_gradients_check_on_compact_data(registry: Registry) -> None:
    raw, y = pixels(40)
    experiment, _ = run(registry, ScaledIntegerData(raw, 255, "float64", y), "float64", batch_size=8, epochs=1)
    assert isinstance(experiment.splits["train"].X, ScaledRows)
    result = check_gradients(experiment, samples=5)
    assert result.passed, result
