"""Ensemble model files with the fake backend: nn-core's part of ensembles needs no real backend."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from fakes import SPEC, fake_registry

from nn_core.ensemble import Ensemble
from nn_core.errors import NNError
from nn_core.experiment import build
from nn_core.model import Model, load_model, model_from_run
from nn_core.spec import load_spec
from nn_core.training import train


def _model(seed: int, classify: bool = True) -> Model:
    pm, registry = fake_registry()
    document = yaml.safe_load(SPEC)
    document["seed"] = seed
    document["data"]["dataset"]["classify"] = classify
    return model_from_run(train(build(load_spec(document, registry=registry), registry), pm=pm))


def test_an_ensemble_file_averages_its_members_and_reloads_bit_for_bit(tmp_path: Path) -> None:
    members = [_model(3), _model(4), _model(5)]
    X = np.linspace(-1, 1, 9)[:, None]
    expected = sum(m.predict_proba(X) for m in members) / 3
    ensemble = Ensemble(members)
    np.testing.assert_allclose(ensemble.predict_proba(X), expected, rtol=0, atol=1e-15)
    assert not np.allclose(members[0].predict_proba(X), members[1].predict_proba(X))  # the seeds differ
    ensemble.save(tmp_path / "ens.nn")
    loaded = load_model(tmp_path / "ens.nn", fake_registry()[1])
    assert isinstance(loaded, Ensemble) and loaded.classes == ["neg", "pos"]
    np.testing.assert_array_equal(loaded.predict_proba(X), ensemble.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict(X), ensemble.predict(X))


def test_an_ensemble_refuses_regression_members() -> None:
    with pytest.raises(NNError, match=r"^member 1 does regression; an ensemble averages classifiers' probabilities$"):
        Ensemble([_model(3), _model(3, classify=False)])
