"""nn summary SPEC|MODEL: widths, parameter counts and activations, as Keras's model.summary()."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nn_core.cli import main
from nn_core.model import load_model

ROOT = Path(__file__).resolve().parents[1]
LAYERS = (
    "model.layers=[{type: dense, units: 8, activation: {type: leaky_relu, alpha: 0.2}}, {type: batch_norm}, "
    "{type: dropout, rate: 0.5}, {type: dense, units: 1, activation: sigmoid}]"
)


def test_summary_of_a_spec(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["summary", str(ROOT / "specs" / "spirals.yaml"), "--set", LAYERS, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["input"] == 2
    assert [(x["type"], x["output"], x["activation"], x["parameters"]) for x in summary["layers"]] == [
        ("dense", 8, "leaky_relu", 2 * 8 + 8),
        ("batch_norm", 8, None, 8 + 8),
        ("dropout", 8, None, 0),
        ("dense", 1, "sigmoid", 8 + 1),
    ]
    assert summary["parameters"] == 49 and summary["non_trainable"] == 16


def test_summary_of_a_model_counts_what_the_model_holds(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.nn"
    spec = str(ROOT / "specs" / "spirals.yaml")
    assert main(["train", spec, "-q", "-o", str(path), "--set", LAYERS, "--set", "training.epochs=2"]) == 0
    capsys.readouterr()
    assert main(["summary", str(path)]) == 0
    text = capsys.readouterr().out
    arrays = load_model(path).network.state_arrays()
    trainable = sum(int(np.size(a)) for name, a in arrays.items() if not name.endswith(("running_mean", "running_var")))
    assert trainable == 49
    assert "total: 49 trainable parameters + 16 non-trainable (running statistics)" in text
    lines = text.splitlines()
    assert lines[1].split() == ["layer", "type", "output", "activation", "parameters", "shapes"]
    assert lines[4].split()[:5] == ["0", "dense", "8", "leaky_relu", "24"]
    assert load_model(path).summary() == text.rstrip("\n")
