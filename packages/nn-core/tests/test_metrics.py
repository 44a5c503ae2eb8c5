"""nn-core's metrics against scikit-learn's on random data."""

from __future__ import annotations

import numpy as np
import pytest

from nn_core import metrics as m
from nn_core.builtins import nn_components

sk = pytest.importorskip("sklearn.metrics")


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _classification(seed: int, classes: int, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, size=n)
    # informative but imperfect probabilities
    logits = rng.normal(size=(n, classes)) + 1.5 * np.eye(classes)[y]
    return y, _softmax(logits)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("classes", [2, 3, 7])
def test_precision_recall_f1_match_sklearn(seed: int, classes: int) -> None:
    y, proba = _classification(seed, classes)
    pred = proba.argmax(axis=1)
    for average in ("macro", "micro"):
        suffix = "" if average == "macro" else "_micro"
        ours = {
            "precision": getattr(m, "Precision" + suffix.replace("_micro", "Micro"))().compute(y, proba),
            "recall": getattr(m, "Recall" + suffix.replace("_micro", "Micro"))().compute(y, proba),
            "f1": getattr(m, "F1" + suffix.replace("_micro", "Micro"))().compute(y, proba),
        }
        assert ours["precision"] == pytest.approx(sk.precision_score(y, pred, average=average, zero_division=0))
        assert ours["recall"] == pytest.approx(sk.recall_score(y, pred, average=average, zero_division=0))
        assert ours["f1"] == pytest.approx(sk.f1_score(y, pred, average=average, zero_division=0))


def test_macro_scores_with_a_class_never_predicted() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 4, size=60)
    proba = _softmax(rng.normal(size=(60, 4)) + 5 * np.eye(4)[np.minimum(y, 2)])  # class 3 never predicted
    pred = proba.argmax(axis=1)
    assert 3 not in pred
    assert m.Precision().compute(y, proba) == pytest.approx(
        sk.precision_score(y, pred, average="macro", zero_division=0)
    )
    assert m.F1().compute(y, proba) == pytest.approx(sk.f1_score(y, pred, average="macro", zero_division=0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sigmoid_column_scores_as_two_classes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=150)
    p1 = np.clip(0.5 + 0.3 * (y - 0.5) + rng.normal(scale=0.25, size=150), 0.01, 0.99)
    pred = (p1 > 0.5).astype(int)
    col = p1.reshape(-1, 1)
    assert m.F1().compute(y, col) == pytest.approx(sk.f1_score(y, pred, average="macro"))
    assert m.RocAuc().compute(y, col) == pytest.approx(sk.roc_auc_score(y, p1))
    assert m.LogLoss().compute(y, col) == pytest.approx(sk.log_loss(y, p1))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_auc_matches_sklearn_including_ties(seed: int) -> None:
    y, proba = _classification(seed, 2)
    assert m.RocAuc().compute(y, proba) == pytest.approx(sk.roc_auc_score(y, proba[:, 1]))
    rounded = np.round(proba, 1)  # many tied scores
    assert m.RocAuc().compute(y, rounded) == pytest.approx(sk.roc_auc_score(y, rounded[:, 1]))


def test_roc_auc_one_vs_rest_for_many_classes() -> None:
    y, proba = _classification(3, 5)
    assert m.RocAuc().compute(y, proba) == pytest.approx(sk.roc_auc_score(y, proba, multi_class="ovr", average="macro"))


def test_roc_auc_is_nan_with_a_single_class() -> None:
    assert np.isnan(m.RocAuc().compute(np.zeros(5, dtype=int), np.full((5, 2), 0.5)))


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_accuracy_matches_sklearn(k: int) -> None:
    y, proba = _classification(4, 6, n=300)
    expected = sk.top_k_accuracy_score(y, proba, k=k, labels=np.arange(6))
    assert m.TopKAccuracy(k=k).compute(y, proba) == pytest.approx(expected)


def test_top_k_at_least_the_class_count_is_perfect() -> None:
    y, proba = _classification(4, 3)
    assert m.TopKAccuracy(k=3).compute(y, proba) == 1.0
    assert m.TopKAccuracy(k=5).compute(y, proba) == 1.0


def test_top_1_is_accuracy() -> None:
    y, proba = _classification(6, 4)
    assert m.TopKAccuracy(k=1).compute(y, proba) == pytest.approx(np.mean(proba.argmax(axis=1) == y))


@pytest.mark.parametrize("classes", [2, 5])
def test_log_loss_matches_sklearn(classes: int) -> None:
    y, proba = _classification(7, classes)
    assert m.LogLoss().compute(y, proba) == pytest.approx(sk.log_loss(y, proba, labels=np.arange(classes)))
    assert m.LogLoss().compute(np.eye(classes)[y], proba) == pytest.approx(sk.log_loss(y, proba))


@pytest.mark.parametrize("outputs", [1, 3])
def test_regression_metrics_match_sklearn(outputs: int) -> None:
    rng = np.random.default_rng(outputs)
    y = rng.normal(size=(120, outputs)) * [2.0, 0.5, 10.0][:outputs]
    p = y + rng.normal(scale=0.7, size=y.shape)
    y_in = y[:, 0] if outputs == 1 else y
    assert m.MeanAbsoluteError().compute(y_in, p) == pytest.approx(sk.mean_absolute_error(y, p))
    assert m.RootMeanSquaredError().compute(y_in, p) == pytest.approx(sk.root_mean_squared_error(y, p))
    assert m.R2().compute(y_in, p) == pytest.approx(sk.r2_score(y, p))


def test_r2_of_a_constant_target_follows_sklearn() -> None:
    y = np.full(10, 3.0)
    assert m.R2().compute(y, np.full((10, 1), 3.0)) == pytest.approx(sk.r2_score(y, np.full(10, 3.0)))
    assert m.R2().compute(y, np.full((10, 1), 2.0)) == pytest.approx(sk.r2_score(y, np.full(10, 2.0)))


def test_lower_is_better_where_it_should_be() -> None:
    assert not m.LogLoss.higher_is_better and not m.MeanAbsoluteError.higher_is_better
    assert not m.RootMeanSquaredError.higher_is_better
    assert m.R2.higher_is_better and m.F1.higher_is_better and m.RocAuc.higher_is_better


def test_registered_by_nn_core_for_every_backend() -> None:
    names = {cls.name for cls in nn_components() if cls.kind == "metric"}
    assert {"accuracy", "precision", "recall", "f1", "f1_micro", "roc_auc", "top_k_accuracy", "log_loss"} <= names
    assert {"mae", "rmse", "r2"} <= names
    assert all(cls.backend is None for cls in nn_components() if cls.kind == "metric")
