"""Everyday metrics beyond accuracy, computed on the host from labels and probabilities.

Backend-agnostic (``backend = None``): every backend hands the training loop
numpy probabilities, so one implementation serves them all. Each metric is
checked against scikit-learn's on random data in ``tests/test_metrics.py``;
scikit-learn is never imported here.

Classification metrics take integer labels (or one-hot rows) and the output
layer's probabilities, either one column per class or the single column of a
sigmoid unit (the probability of class 1). Regression metrics take targets of
shape ``(n,)`` or ``(n, outputs)`` and average over outputs uniformly, as
scikit-learn does by default.

The averaged variants of precision, recall and F1 are separate names
(``f1`` is macro, ``f1_micro`` micro) so both can be logged in one run and
monitored by early stopping as ``dev.f1`` or ``dev.f1_micro``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from nn_core.contracts import Metric
from nn_core.errors import DataError


def two_columns(proba: np.ndarray) -> np.ndarray:
    """Probabilities with one column per class, also for a single sigmoid unit."""
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim == 1:
        proba = proba.reshape(-1, 1)
    if proba.shape[1] == 1:
        return np.column_stack([1.0 - proba[:, 0], proba[:, 0]])
    return proba


def class_labels(y_true: np.ndarray) -> np.ndarray:
    """Integer labels from labels or one-hot rows; regression targets are refused
    (cast to integers they would give a score that looks real and means nothing)."""
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] > 1 and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
        return y.argmax(axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.bool_)):
        raise DataError(
            f"a classification metric needs integer class labels, but the targets are regression values "
            f"({y.dtype}, shape {np.shape(y_true)})"
        )
    return y.astype(np.int64)


def _counts(y_true: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """True positives, predicted and actual counts per class, and the classes that occur.

    Like scikit-learn, macro averages run over the classes that occur in the
    labels or the predictions; a class with nothing predicted has precision 0.
    """
    from nn_core.builtins import predicted_labels

    labels = class_labels(y_true)
    predicted = predicted_labels(np.asarray(proba, dtype=np.float64))
    classes = max(two_columns(proba).shape[1], int(labels.max(initial=0)) + 1, int(predicted.max(initial=0)) + 1)
    tp = np.bincount(labels[labels == predicted], minlength=classes).astype(np.float64)
    n_predicted = np.bincount(predicted, minlength=classes).astype(np.float64)
    n_true = np.bincount(labels, minlength=classes).astype(np.float64)
    present = (n_true + n_predicted) > 0
    return tp, n_predicted, n_true, present


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator with 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _scores(y_true: np.ndarray, proba: np.ndarray, average: str) -> tuple[float, float, float]:
    tp, n_predicted, n_true, present = _counts(y_true, proba)
    if average == "micro":
        precision = _ratio(np.array([tp.sum()]), np.array([n_predicted.sum()]))[0]
        recall = _ratio(np.array([tp.sum()]), np.array([n_true.sum()]))[0]
        f1 = _ratio(np.array([2 * precision * recall]), np.array([precision + recall]))[0]
        return float(precision), float(recall), float(f1)
    precision = _ratio(tp, n_predicted)
    recall = _ratio(tp, n_true)
    f1 = _ratio(2 * precision * recall, precision + recall)
    return tuple(float(v[present].mean()) if present.any() else 0.0 for v in (precision, recall, f1))  # type: ignore[return-value]


class Precision(Metric):
    """Precision (of the samples predicted as a class, the fraction that are), averaged over classes (macro)."""

    name: ClassVar[str] = "precision"
    average: ClassVar[str] = "macro"

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        return _scores(y_true, proba, self.average)[0]


class Recall(Metric):
    """Recall (of the samples of a class, the fraction found), averaged over classes (macro)."""

    name: ClassVar[str] = "recall"
    average: ClassVar[str] = "macro"

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        return _scores(y_true, proba, self.average)[1]


class F1(Metric):
    """F1 score (harmonic mean of precision and recall) per class, averaged over classes (macro)."""

    name: ClassVar[str] = "f1"
    average: ClassVar[str] = "macro"

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        return _scores(y_true, proba, self.average)[2]


class PrecisionMicro(Precision):
    """Precision over all samples pooled (micro average; equals accuracy for single-label tasks)."""

    name: ClassVar[str] = "precision_micro"
    average: ClassVar[str] = "micro"


class RecallMicro(Recall):
    """Recall over all samples pooled (micro average; equals accuracy for single-label tasks)."""

    name: ClassVar[str] = "recall_micro"
    average: ClassVar[str] = "micro"


class F1Micro(F1):
    """F1 over all samples pooled (micro average; equals accuracy for single-label tasks)."""

    name: ClassVar[str] = "f1_micro"
    average: ClassVar[str] = "micro"


def binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative (ties count half).

    Computed from average ranks (the Mann–Whitney statistic); NaN when the
    labels hold only one class, where the curve is undefined.
    """
    n_pos = int(positive.sum())
    n_neg = positive.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(score.size, dtype=np.float64)
    sorted_scores = score[order]
    # average rank of each run of tied scores (1-based)
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], score.size]
    for start, end in zip(starts, ends, strict=True):
        ranks[order[start:end]] = (start + end + 1) / 2.0
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


class RocAuc(Metric):
    """Area under the ROC curve; for more than two classes the mean one-vs-rest AUC (macro).

    NaN on a split whose labels hold a single class (the curve needs both).
    """

    name: ClassVar[str] = "roc_auc"

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        labels = class_labels(y_true)
        columns = two_columns(proba)
        if columns.shape[1] == 2:
            return binary_auc(labels == 1, columns[:, 1])
        return float(np.mean([binary_auc(labels == c, columns[:, c]) for c in range(columns.shape[1])]))


class TopKAccuracy(Metric):
    """Fraction of samples whose true class is among the k most probable (ImageNet's top-5)."""

    name: ClassVar[str] = "top_k_accuracy"
    params_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {"k": {"type": "integer", "minimum": 1, "default": 5, "description": "how many guesses count"}},
        "additionalProperties": False,
    }

    def __init__(self, *, k: int = 5) -> None:
        self.k = k

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        labels = class_labels(y_true)
        columns = two_columns(proba)
        if self.k >= columns.shape[1]:
            return 1.0
        top = np.argsort(-columns, axis=1, kind="stable")[:, : self.k]
        return float(np.mean((top == labels[:, None]).any(axis=1)))


class LogLoss(Metric):
    """Mean negative log-likelihood of the true class (cross-entropy), probabilities clipped at machine epsilon."""

    name: ClassVar[str] = "log_loss"
    higher_is_better: ClassVar[bool] = False

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        labels = class_labels(y_true)
        columns = two_columns(proba)
        eps = np.finfo(np.float64).eps
        columns = np.clip(columns, eps, 1 - eps)
        columns = columns / columns.sum(axis=1, keepdims=True)
        return float(-np.mean(np.log(columns[np.arange(labels.size), labels])))


def _regression_pair(y_true: np.ndarray, proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(proba, dtype=np.float64)
    y = y.reshape(len(y), -1)
    p = p.reshape(len(p), -1)
    if y.shape != p.shape:  # labels against softmax columns would broadcast into nonsense
        raise DataError(
            f"a regression metric compares targets with outputs of the same shape, got targets {y.shape} "
            f"and outputs {p.shape} (class labels against a softmax?)"
        )
    return y, p


class MeanAbsoluteError(Metric):
    """Mean absolute error, averaged over outputs."""

    name: ClassVar[str] = "mae"
    higher_is_better: ClassVar[bool] = False

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        y, p = _regression_pair(y_true, proba)
        return float(np.mean(np.abs(y - p)))


class RootMeanSquaredError(Metric):
    """Root of the mean squared error per output, averaged over outputs (in the targets' units)."""

    name: ClassVar[str] = "rmse"
    higher_is_better: ClassVar[bool] = False

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        y, p = _regression_pair(y_true, proba)
        return float(np.mean(np.sqrt(np.mean((y - p) ** 2, axis=0))))


class R2(Metric):
    """Coefficient of determination: 1 − residual / total sum of squares, averaged over outputs.

    1 is a perfect fit, 0 is as good as predicting the mean; a constant target
    scores 1 when fitted exactly and 0 otherwise (scikit-learn's convention).
    """

    name: ClassVar[str] = "r2"

    def compute(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        y, p = _regression_pair(y_true, proba)
        residual = ((y - p) ** 2).sum(axis=0)
        total = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
        scores = np.where(
            total > 0, 1.0 - residual / np.where(total > 0, total, 1.0), np.where(residual == 0, 1.0, 0.0)
        )
        return float(scores.mean())


METRICS: tuple[type[Metric], ...] = (
    Precision,
    Recall,
    F1,
    PrecisionMicro,
    RecallMicro,
    F1Micro,
    RocAuc,
    TopKAccuracy,
    LogLoss,
    MeanAbsoluteError,
    RootMeanSquaredError,
    R2,
)
"""Registered by nn-core's built-in plugin, beside ``accuracy``."""
