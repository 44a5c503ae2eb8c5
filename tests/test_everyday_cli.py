"""Everyday CLI features (issue 17) with the installed numpy backend: reports, JSON, predictions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nn_core.cli import main

ROOT = Path(__file__).resolve().parents[1]
SPEC = str(ROOT / "specs" / "moons-3-class.yaml")
SHORT = ["--set", "training.epochs=200"]


@pytest.fixture
def model3(tmp_path: Path) -> Path:
    path = tmp_path / "m3.nn"
    assert main(["train", SPEC, "-q", "-o", str(path), *SHORT]) == 0
    return path


def test_evaluate_prints_a_per_class_report_beside_the_confusion_matrix(model3: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    assert main(["evaluate", str(model3)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if "precision" in line)
    assert "recall" in header and "f1" in header and "support" in header
    rows = [line for line in out.splitlines() if "|" in line and "precision" not in line]
    assert len(rows) == 3
    # each row: the confusion counts, then scores consistent with them
    for k, row in enumerate(rows):
        counts_part, scores_part = row.split("|")
        counts = [int(v) for v in counts_part.split()[1:]]
        precision, recall, f1, support = scores_part.split()
        assert int(support) == sum(counts) == 100
        assert float(recall) == pytest.approx(counts[k] / 100, abs=1e-4)


def test_evaluate_json_has_per_class_scores_matching_sklearn(model3: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    sk = pytest.importorskip("sklearn.metrics")
    capsys.readouterr()
    assert main(["evaluate", str(model3), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    matrix = np.asarray(result["train"]["confusion_matrix"])
    y_true = np.repeat(np.arange(3), matrix.sum(axis=1))
    y_pred = np.concatenate([np.repeat(np.arange(3), row) for row in matrix])
    expected = sk.precision_recall_fscore_support(y_true, y_pred)
    report = result["train"]["per_class"]
    for k in range(3):
        assert report[k]["precision"] == pytest.approx(expected[0][k])
        assert report[k]["recall"] == pytest.approx(expected[1][k])
        assert report[k]["f1"] == pytest.approx(expected[2][k])
        assert report[k]["support"] == expected[3][k]


def test_new_metrics_train_and_log(capsys) -> None:  # type: ignore[no-untyped-def]
    metrics = "metrics=[accuracy, f1, f1_micro, roc_auc, {type: top_k_accuracy, k: 2}, log_loss]"
    assert main(["train", SPEC, "-q", "--json", *SHORT, "--set", metrics]) == 0
    result = json.loads(capsys.readouterr().out)
    train = result["train"]
    assert train["f1_micro"] == pytest.approx(train["accuracy"])  # single-label: micro F1 is accuracy
    assert train["top_k_accuracy"] >= train["accuracy"]
    assert 0.5 < train["roc_auc"] <= 1 and train["log_loss"] > 0
