"""nn_core.sklearn with nothing but nn-core: no scikit-learn needed, any backend (here the fake one),
and the ``arrays`` dataset that stands for data passed to ``fit``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from nn_core.arrays_dataset import Arrays
from nn_core.errors import DataError, NNError
from nn_core.registry import Registry
from nn_core.sklearn import expected_failed_checks
from nn_core.sklearn.estimators import _Regressor
from nn_core.sklearn.spec_params import override_path, plain, seed_from

FAKE_SPEC = {
    "name": "line-fit",
    "backend": "fake",
    "model": {"layers": [{"type": "linear", "units": 4, "activation": "tanh"}, {"type": "linear", "units": 1}]},
    "loss": "half_squares",
    "optimizer": {"type": "descent", "lr": 0.5},
    "training": {"epochs": 300, "batch_size": "full"},
    "metrics": [],
}


def test_override_names_map_to_spec_paths() -> None:
    assert override_path("optimizer__lr") == ("optimizer", "lr")
    assert override_path("model__layers__0__units") == ("model", "layers", 0, "units")
    assert override_path("model.layers[1].activation") == ("model", "layers", 1, "activation")
    assert plain({"a": (np.int64(3), np.float32(0.5))}) == {"a": [3, 0.5]}
    assert type(plain(np.int64(3))) is int


def test_random_state_becomes_the_seed() -> None:
    assert seed_from(None) is None and seed_from(7) == 7 and seed_from(np.int32(7)) == 7
    assert seed_from(np.random.RandomState(0)) == np.random.RandomState(0).randint(np.iinfo(np.int32).max)
    with pytest.raises(ValueError, match="random_state must be None, an int or a numpy RandomState, got 'x'"):
        seed_from("x")


def test_fit_on_the_fake_backend(installed: Registry) -> None:
    """Any backend works; without scikit-learn (nn-core's own test env) the classes stand alone."""
    from nn_core.sklearn import NNRegressor

    has_sklearn = importlib.util.find_spec("sklearn") is not None
    assert (NNRegressor.__mro__[1:] == (_Regressor, *_Regressor.__mro__[1:])) is not has_sklearn
    X = np.linspace(-1, 1, 40).reshape(-1, 1)
    y = 0.5 * X[:, 0] + 0.2
    estimator = NNRegressor(FAKE_SPEC, random_state=1)
    with pytest.raises(ValueError, match="This NNRegressor instance is not fitted yet"):
        estimator.predict(X)
    estimator.fit(X, y)
    assert estimator.model_.spec.seed == 1 and estimator.n_iter_ == 300
    assert estimator.model_.spec.document["data"]["dataset"] == {
        "type": "arrays",
        "samples": 40,
        "features": 1,
        "source": "NNRegressor.fit(X, y)",
    }
    assert estimator.score(X, y) > 0.99
    assert estimator.predict(X).shape == (40,)
    assert repr(estimator) == f"NNRegressor(spec={FAKE_SPEC!r}, random_state=1)"


def test_unknown_key_fails_at_fit_in_one_line(installed: Registry) -> None:
    from nn_core.sklearn import NNRegressor

    estimator = NNRegressor(FAKE_SPEC, optimizer__rate=0.1)  # accepted until fit (scikit-learn's rule)
    assert estimator.get_params()["optimizer__rate"] == 0.1
    with pytest.raises(NNError) as caught:
        estimator.fit(np.zeros((4, 1)), np.zeros(4))
    assert isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("(NNRegressor parameter optimizer__rate): optimizer.rate: unknown parameter")


def test_expected_failed_checks_is_empty_for_both() -> None:
    class NNClassifier:  # the lookup is by class name: any object works
        pass

    assert expected_failed_checks(NNClassifier()) == {}
    assert expected_failed_checks(object()) == {}


def test_arrays_dataset_cannot_be_loaded_and_says_what_to_do() -> None:
    with pytest.raises(DataError) as caught:
        Arrays(samples=3, features=2, source="NNClassifier.fit(X, y)").load()
    assert str(caught.value) == (
        "data.dataset 'arrays' stands for the arrays passed to NNClassifier.fit(X, y), which no file holds; "
        "to evaluate a model trained on them, pass --set 'data.dataset={type: csv, path: FILE, label: COLUMN}' "
        "or --data SPEC (a whole spec whose data section loads them)"
    )


def test_arrays_dataset_reads_inputs_by_feature_name(tmp_path: Path) -> None:
    dataset = Arrays(features=2, feature_names=["width", "height"])
    path = tmp_path / "in.csv"
    path.write_text("height,width\n1,2\n3,4\n")
    assert dataset.read_inputs(str(path)).tolist() == [[2.0, 1.0], [4.0, 3.0]]
    path.write_text("height,depth\n1,2\n")
    with pytest.raises(DataError, match=r"in.csv line 1: the header lacks feature column\(s\) 'width'$"):
        dataset.read_inputs(str(path))
    path.write_text("height,width,depth\n1,2,3\n")
    with pytest.raises(DataError, match=r"column\(s\) 'depth' are not features of the model$"):
        dataset.read_inputs(str(path))
    assert Arrays(features=2).read_inputs(str(path)) is None  # no names: the generic numeric CSV
