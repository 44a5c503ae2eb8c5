"""Ensembles: one pickle-free model file, members' probabilities averaged, disagreeing members refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sweep_helpers import nn

from nn_core import build, load_spec, train
from nn_core.ensemble import Ensemble
from nn_core.errors import ModelFileError, NNError
from nn_core.model import load_model, model_from_run
from nn_core.modelfile import read_archive

BASE: dict[str, Any] = {
    "name": "moons",
    "seed": 0,
    "data": {"dataset": {"type": "moons", "n_samples": 120, "noise": 0.2, "seed": 0}, "split": {"dev": 0.25}},
    "model": {
        "layers": [
            {"type": "dense", "units": 4, "activation": "tanh"},
            {"type": "dense", "units": 2, "activation": "softmax"},
        ]
    },
    "loss": "categorical_cross_entropy",
    "optimizer": {"type": "sgd", "lr": 0.5},
    "training": {"epochs": 40, "batch_size": "full"},
    "metrics": ["accuracy"],
}


def _model(tmp_path: Path, name: str, **changes: Any) -> Path:
    spec = json.loads(json.dumps(BASE))
    for key, value in changes.items():
        spec[key] = value
    path = tmp_path / f"{name}.nn"
    model_from_run(train(build(load_spec(spec)))).save(path)
    return path


@pytest.fixture(scope="module")
def members(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("members")
    wide = {"layers": [{"type": "dense", "units": 9, "activation": "relu"}, BASE["model"]["layers"][1]]}
    return [
        _model(root, "a", seed=1),
        _model(root, "b", seed=2),
        _model(root, "c", model=wide, data={**BASE["data"], "scale": "standard"}),
    ]


def test_members_probabilities_are_averaged_and_survive_the_file(tmp_path: Path, members: list[Path]) -> None:
    models = [load_model(p) for p in members]
    X = np.random.default_rng(1).normal(size=(50, 2))
    expected = (models[0].predict_proba(X) + models[1].predict_proba(X) + models[2].predict_proba(X)) / 3
    ensemble = Ensemble(models)
    np.testing.assert_allclose(ensemble.predict_proba(X), expected, rtol=0, atol=1e-15)
    path = tmp_path / "ens.nn"
    ensemble.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, Ensemble) and len(loaded.members) == 3
    np.testing.assert_array_equal(loaded.predict_proba(X), ensemble.predict_proba(X))
    assert loaded.classes == ["0", "1"] == models[0].classes
    np.testing.assert_array_equal(loaded.predict(X), expected.argmax(axis=1))  # integer labels, as the data had
    arrays, meta = read_archive(path, "model")  # the ordinary model-file reader: numeric arrays and JSON only
    assert {name.split("/")[1] for name in arrays} == {"0", "1", "2"}
    assert meta["input_dim"] == 2 and len(meta["ensemble"]["members"]) == 3


def test_nn_evaluate_predict_and_plot_read_an_ensemble(tmp_path: Path, members: list[Path]) -> None:
    path = tmp_path / "ens.nn"
    made = nn("ensemble", *map(str, members), "-o", str(path))
    assert made.returncode == 0, made.stderr
    done = nn("evaluate", str(path), "--json")
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    ensemble = load_model(path)
    from nn_core.experiment import load_data
    from nn_core.splits import split_data

    parts = split_data(load_data(ensemble.spec, _registry()), 0.25, 0, ensemble.spec.seed)
    for split, part in parts.items():
        proba = ensemble.predict_proba(part.X)
        assert results[split]["accuracy"] == pytest.approx(np.mean(proba.argmax(axis=1) == part.y), abs=1e-12)
        nll = -np.mean(np.log(proba[np.arange(len(part.y)), part.y]))
        assert results[split]["loss"] == pytest.approx(nll, rel=1e-12)
    (tmp_path / "in.csv").write_text("x1,x2\n0.1,0.9\n1.5,-0.4\n")
    predicted = nn("predict", str(path), str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--proba")
    assert predicted.returncode == 0, predicted.stderr
    rows = (tmp_path / "out.csv").read_text().splitlines()
    proba = ensemble.predict_proba(np.array([[0.1, 0.9], [1.5, -0.4]]))
    assert rows[0] == "label,proba_0,proba_1"
    assert [float(v) for v in rows[1].split(",")[1:]] == pytest.approx(proba[0], abs=1e-6)
    pytest.importorskip("matplotlib")
    plotted = nn("plot", "boundary", str(path), "-o", str(tmp_path / "b.png"))
    assert plotted.returncode == 0, plotted.stderr


def _registry() -> Any:
    from nn_core.plugins import load_plugins

    return load_plugins().registry


def test_members_must_agree_on_inputs_classes_and_outputs(tmp_path: Path, members: list[Path]) -> None:
    three = _model(
        tmp_path,
        "three",
        data={"dataset": {"type": "blobs", "n_samples": 90, "centers": 3, "seed": 0}},
        model={"layers": [{"type": "dense", "units": 3, "activation": "softmax"}]},
    )
    sigmoid = _model(
        tmp_path,
        "sigmoid",
        loss="binary_cross_entropy",
        model={"layers": [{"type": "dense", "units": 1, "activation": "sigmoid"}]},
    )
    # one sigmoid unit and a two-class softmax: both give one probability per class, and they average
    mixed = Ensemble([load_model(members[0]), load_model(sigmoid)])
    X = np.random.default_rng(2).normal(size=(7, 2))
    expected = (load_model(members[0]).predict_proba(X) + load_model(sigmoid).predict_proba(X)) / 2
    np.testing.assert_allclose(mixed.predict_proba(X), expected, rtol=0, atol=1e-15)
    assert mixed.predict_proba(X).shape == (7, 2)
    done = nn("ensemble", str(members[0]), str(three), "-o", str(tmp_path / "x.nn"))
    assert done.returncode == 1 and not (tmp_path / "x.nn").exists()
    assert done.stderr.strip() == (
        f"nn: error: ensemble members disagree on classes: {members[0]} has ['0', '1'], {three} has ['0', '1', '2']"
    )
    three_inputs = _model(
        tmp_path,
        "three-inputs",
        data={"dataset": {"type": "blobs", "n_samples": 60, "centers": 2, "n_features": 3, "seed": 0}},
    )
    with pytest.raises(NNError) as caught:
        Ensemble([load_model(members[0]), load_model(three_inputs)])
    assert str(caught.value) == "ensemble members disagree on inputs: member 0 takes 2 features, member 1 takes 3"
    from nn_core.modelfile import write_archive

    write_archive(tmp_path / "empty.nn", "model", {}, {"spec": BASE, "ensemble": {"members": []}})
    with pytest.raises(ModelFileError, match=r"empty.nn has malformed ensemble metadata \(no members\)"):
        load_model(tmp_path / "empty.nn")
