"""Evaluating a saved model on data: loss, metrics and a confusion matrix per split."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.builtins import is_classification, predicted_labels
from nn_core.contracts import Data
from nn_core.errors import NNError
from nn_core.experiment import build_metrics, load_data
from nn_core.registry import Registry
from nn_core.run import compute_metric
from nn_core.spec.model import Spec
from nn_core.splits import split_data


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> list[list[int]]:
    """Rows are true classes, columns predicted ones."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix.tolist()


def check_targets_fit(model: Any, data: Data) -> None:
    """Refuse data whose targets mean something else than the model's outputs: a
    confusion matrix of one dataset's labels under another's class names would be
    silently wrong."""
    task = "classification" if is_classification(data.y) else "regression"
    if task != model.task:
        raise NNError(f"the model is a {model.task} model but the data's targets are for {task}")
    if data.classes is not None and model.classes is not None and list(data.classes) != list(model.classes):
        raise NNError(
            f"the data's classes ({', '.join(map(str, data.classes))}) are not the model's "
            f"({', '.join(map(str, model.classes))})"
        )


def class_report(matrix: list[list[int]]) -> list[dict[str, float | int]]:
    """Precision, recall, F1 and support per class from a confusion matrix (scikit-learn's classification_report)."""
    counts = np.asarray(matrix, dtype=np.float64)
    tp = np.diag(counts)
    predicted = counts.sum(axis=0)
    actual = counts.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(tp), where=total > 0)
    return [
        {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(n)}
        for p, r, f, n in zip(precision, recall, f1, actual, strict=True)
    ]


def evaluate_model(model: Any, data_spec: Spec, registry: Registry, data: Data | None = None) -> dict[str, Any]:
    """Metrics of ``model`` on the splits of ``data_spec``'s data (made as training made them)."""
    if data is None:
        data = load_data(data_spec, registry)
    if data.X.shape[1] != model.input_dim:
        raise NNError(f"the data has {data.X.shape[1]} features; the model expects {model.input_dim}")
    check_targets_fit(model, data)
    metrics = build_metrics(model.spec, registry, data.y)
    parts = split_data(data, data_spec.data.split.dev, data_spec.data.split.test, data_spec.seed)
    results: dict[str, Any] = {}
    for name, part in parts.items():
        # through the model, not its network: an Ensemble has members' networks, each with its own scaling
        scores: dict[str, Any] = {"samples": len(part.y), "loss": model.loss(part.X, part.y)}
        proba = model.outputs(part.X)
        for metric_name, metric in metrics.items():
            scores[metric_name] = compute_metric(metric_name, metric, part.y, proba)
        if model.task == "classification":
            classes = max(proba.shape[1], 2)
            scores["confusion_matrix"] = confusion_matrix(part.y, predicted_labels(proba), classes)
            scores["per_class"] = class_report(scores["confusion_matrix"])
        results[name] = scores
    return results
