"""ScaledIntegerData: features kept as integers, X made only when read, equal to the float data it stands for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fakes import SPEC, fake_plugins

from nn_core import build, load_spec, train
from nn_core.compact import ScaledIntegerData
from nn_core.contracts import Data
from nn_core.errors import DataError
from nn_core.experiment import data_hash
from nn_core.splits import split_data


def pixels(n: int = 50, width: int = 7, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, (n, width), dtype=np.uint8)
    raw[0] = [0, 255, 1, 254, 128, 127, 3][:width]  # the ends and the middle of the range
    return raw, rng.integers(0, 3, n)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_x_is_the_division_made_on_first_use_and_kept(dtype: str) -> None:
    raw, y = pixels()
    data = ScaledIntegerData(raw, 255, dtype, y, ("a", "b", "c"))
    assert data._X is None
    assert data.n_features == 7 and len(data.y) == 50  # answered from the integers
    np.testing.assert_array_equal(data.head(3), np.divide(raw[:3], 255.0, dtype=dtype))
    assert data._X is None
    X = data.X
    assert X.dtype == np.dtype(dtype) and X.shape == raw.shape
    assert np.array_equal(X.view(f"u{X.itemsize}"), np.divide(raw, 255.0, dtype=dtype).view(f"u{X.itemsize}"))
    assert data.X is X  # kept
    assert isinstance(data, Data) and data.classes == ("a", "b", "c")


def test_a_subset_stays_compact_and_holds_the_same_rows() -> None:
    raw, y = pixels()
    data = ScaledIntegerData(raw, 255, "float32", y)
    rows = np.array([4, 0, 49, 4])
    part = data.subset(rows)
    assert isinstance(part, ScaledIntegerData) and part._X is None and data._X is None
    np.testing.assert_array_equal(part.X, data.X[rows])
    np.testing.assert_array_equal(part.y, y[rows])


def test_splits_of_compact_data_equal_the_splits_of_its_floats() -> None:
    raw, y = pixels(200)
    compact = ScaledIntegerData(raw, 255, "float32", y)
    dense = Data(compact.head(200), y)
    a, b = split_data(compact, 0.2, 0.1, seed=3), split_data(dense, 0.2, 0.1, seed=3)
    assert a.keys() == b.keys() == {"train", "dev", "test"}
    for name in a:
        assert isinstance(a[name], ScaledIntegerData)
        np.testing.assert_array_equal(a[name].X, b[name].X)
        np.testing.assert_array_equal(a[name].y, b[name].y)


def test_the_hash_is_the_floats_hash_without_making_them() -> None:
    raw, y = pixels(10_000, 5)  # more rows than one hashing piece
    compact = ScaledIntegerData(raw, 255, "float32", y)
    digest = data_hash(compact)
    assert compact._X is None
    assert digest == data_hash(Data(np.divide(raw, 255.0, dtype="float32"), y))
    assert digest != data_hash(Data(np.divide(raw, 255.0, dtype="float64"), y))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.zeros((3, 2)), 255, "float32", np.zeros(3)), "needs a 2-D integer array of features, got float64"),
        ((np.zeros(3, np.uint8), 255, "float32", np.zeros(3)), "needs a 2-D integer array of features, got uint8"),
        ((np.zeros((3, 2), np.uint8), 255, "float32", np.zeros(4)), "3 feature rows but 4 targets"),
        ((np.zeros((3, 2), np.uint8), 0, "float32", np.zeros(3)), "the divisor must be a positive number, got 0"),
        ((np.zeros((3, 2), np.uint8), float("nan"), "float32", np.zeros(3)), "positive number, got nan"),
        ((np.zeros((3, 2), np.uint8), 255, "int32", np.zeros(3)), "X must be floating point, got dtype int32"),
    ],
)
def test_bad_compact_data_is_one_line(args: tuple, message: str) -> None:
    with pytest.raises(DataError) as caught:
        ScaledIntegerData(*args)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_backend_without_the_protocol_trains_on_the_floats(tmp_path: Path) -> None:
    """The fake backend has no to_backend_scaled: nn-core gives it X, and the run equals one on the floats."""
    plugins = fake_plugins()
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    spec = load_spec(path, ["training.batch_size=8", "data.split.dev=0.2"], plugins=plugins)
    rng = np.random.default_rng(1)
    raw = rng.integers(0, 256, (40, 1), dtype=np.uint8)
    y = (raw[:, 0] / 255.0 * 2 - 1).astype(np.float64)
    runs = [
        train(build(spec, plugins=plugins, data=data), plugins=plugins)
        for data in (ScaledIntegerData(raw, 255, "float64", y), Data(np.divide(raw, 255.0, dtype="float64"), y))
    ]
    assert runs[0].history == runs[1].history
