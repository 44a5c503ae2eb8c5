"""NNClassifier and NNRegressor inside scikit-learn: Pipelines, grid search, cross-validation,
results identical to `nn train`, model files for `nn predict`/`nn evaluate`, and clear errors."""

from __future__ import annotations

import csv
import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import BaseEstimator, clone  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from nn_core import cli  # noqa: E402
from nn_core.errors import NNError  # noqa: E402
from nn_core.model import load_model  # noqa: E402
from nn_core.sklearn import NNClassifier, NNRegressor, load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MOONS_L2 = ROOT / "specs" / "moons-l2.yaml"


@pytest.fixture(scope="module")
def moons() -> tuple[np.ndarray, np.ndarray]:
    return make_moons(n_samples=300, noise=0.2, random_state=0)


def nn(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- scikit-learn's tools -------------------------------------------------------------------


def test_pipeline_grid_search_over_lr_and_width_on_moons(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = moons
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    pipe = make_pipeline(StandardScaler(), NNClassifier(training__epochs=60, random_state=0))
    grid = GridSearchCV(
        pipe,
        {"nnclassifier__optimizer__lr": [0.0005, 0.02], "nnclassifier__model__layers__0__units": [1, 16]},
        cv=3,
    )
    grid.fit(X_train, y_train)
    scores = grid.cv_results_["mean_test_score"]
    assert len(scores) == 4 and len(set(np.round(scores, 6))) > 1  # each setting really trained its own net
    assert grid.best_params_ == {"nnclassifier__optimizer__lr": 0.02, "nnclassifier__model__layers__0__units": 16}
    best = grid.best_estimator_[-1]
    assert best.model_.network.state_arrays()["layers.0.weight"].shape == (16, 2)
    assert best.model_.spec.optimizer.params["lr"] == 0.02
    assert grid.best_score_ > 0.9
    assert grid.score(X_test, y_test) > 0.9


def test_cross_val_score_five_folds_is_deterministic(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = moons
    estimator = NNClassifier(training__epochs=80, random_state=1)
    scores = cross_val_score(estimator, X, y, cv=5)
    assert scores.shape == (5,)
    assert scores.mean() > 0.9 and scores.min() > 0.8
    assert np.array_equal(scores, cross_val_score(estimator, X, y, cv=5))
    assert not hasattr(estimator, "model_")  # cross_val_score fits clones


def test_params_round_trip_clone_and_pipeline_set_params() -> None:
    estimator = NNClassifier(str(MOONS_L2), random_state=3, optimizer__lr=0.05, training__epochs=10)
    params = estimator.get_params()
    assert params == {"spec": str(MOONS_L2), "random_state": 3, "optimizer__lr": 0.05, "training__epochs": 10}
    copy = clone(estimator)
    assert copy is not estimator and copy.get_params() == params
    assert NNClassifier(**params).get_params() == params
    assert estimator.set_params(optimizer__lr=0.2) is estimator
    assert estimator.get_params()["optimizer__lr"] == 0.2
    pipe = Pipeline([("scale", StandardScaler()), ("nn", estimator)])
    pipe.set_params(nn__model__layers__0__units=5, nn__random_state=9)
    assert estimator.get_params()["model__layers__0__units"] == 5 and estimator.random_state == 9
    assert "optimizer__lr=0.2" in repr(pipe) and "model__layers__0__units=5" in repr(pipe)
    assert isinstance(estimator, BaseEstimator)


def test_overrides_shallow_first_whole_sections_and_dotted_keys(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = moons
    estimator = NNClassifier(
        optimizer__lr=0.003,
        optimizer={"type": "sgd", "momentum": 0.9},
        training={"epochs": 3, "batch_size": "full"},
        **{"model.layers[0].units": 4},
    ).fit(X, y)
    spec = estimator.model_.spec
    assert spec.optimizer.type == "sgd" and spec.optimizer.params["lr"] == 0.003
    assert spec.optimizer.params["momentum"] == 0.9
    assert spec.training.epochs == 3 and estimator.n_iter_ == 3
    assert spec.model.layers[0].params["units"] == 4


def test_spec_dict_and_early_stopping(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = moons
    spec = {
        "name": "tiny",
        "data": {"split": {"dev": 0.3}, "scale": "standard"},
        "model": {
            "layers": [
                {"type": "dense", "units": 8, "activation": "tanh"},
                {"type": "dense", "units": 2, "activation": "softmax"},
            ]
        },
        "loss": "categorical_cross_entropy",
        "optimizer": {"type": "adam", "lr": 0.05},
        "training": {"epochs": 3000, "batch_size": "full", "early_stopping": {"patience": 3}},
    }
    estimator = NNClassifier(spec).fit(X, y)
    assert estimator.n_iter_ < 3000  # stopped early on the dev split the spec asked for
    assert estimator.model_.metadata["data_hash"]
    assert set(estimator.model_.metadata["metrics"]) == {"train", "dev"}
    assert estimator.score(X, y) > 0.9
    assert spec["training"]["epochs"] == 3000 and "dataset" not in spec["data"]  # the caller's dict untouched


# -- the same training as `nn train` ----------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "minibatch"), [(None, False), (5, False), (5, True)], ids=["spec-seed", "random-state", "adam-batches"]
)
def test_fit_gives_bit_identical_weights_to_nn_train(
    seed: int | None, minibatch: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from nn_core.experiment import load_data
    from nn_core.plugins import load_plugins
    from nn_core.spec import load_spec

    overrides = ["training.epochs=300", "data.split.dev=0.25", "data.scale=standard"]
    extra = {}
    if minibatch:  # shuffled minibatches: the shuffling stream must match too
        overrides += ["training.batch_size=16", "optimizer.type=adam"]
        extra = {"training__batch_size": 16, "optimizer__type": "adam"}
    if seed is not None:
        overrides.append(f"seed={seed}")
    sets = [arg for o in overrides for arg in ("--set", o)]
    code, _, err = nn("train", str(MOONS_L2), *sets, "-q", "-o", str(tmp_path / "cli.npz"), capsys=capsys)
    assert code == 0, err
    trained = load_model(tmp_path / "cli.npz")

    data = load_data(load_spec(MOONS_L2), load_plugins().registry)  # the spec's own moons
    estimator = NNClassifier(
        str(MOONS_L2),
        random_state=seed,
        training__epochs=300,
        data__split__dev=0.25,
        data__scale="standard",
        **extra,
    ).fit(data.X, data.y)
    assert estimator.model_.spec.training.batch_size == (16 if minibatch else None)

    ours, theirs = estimator.model_.network.state_arrays(), trained.network.state_arrays()
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert np.array_equal(ours[name], theirs[name]), name
    assert estimator.model_.metadata["history"] == trained.metadata["history"]
    assert estimator.model_.metadata["seed"] == (0 if seed is None else seed)


# -- regression ---------------------------------------------------------------------------------


def test_regression_beats_a_straight_line_and_scores_like_r2_score() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(300, 1))
    y = np.sin(2 * X[:, 0]) + 0.05 * rng.normal(size=300)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    estimator = NNRegressor(model__layers__0__activation="tanh", training__epochs=300, random_state=0)
    estimator.fit(X_train, y_train)
    predicted = estimator.predict(X_test)
    assert predicted.shape == y_test.shape and predicted.dtype == np.float64
    assert estimator.score(X_test, y_test) > 0.95
    assert LinearRegression().fit(X_train, y_train).score(X_test, y_test) < 0.8
    weights = rng.uniform(0.1, 2.0, size=len(y_test))
    assert estimator.score(X_test, y_test) == pytest.approx(r2_score(y_test, predicted), rel=1e-12)
    assert estimator.score(X_test, y_test, weights) == pytest.approx(
        r2_score(y_test, predicted, sample_weight=weights), rel=1e-12
    )


def test_regression_with_two_targets() -> None:
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    Y = np.column_stack([X[:, 0] - X[:, 1], 0.5 * X[:, 2]])
    estimator = NNRegressor(training__epochs=100, random_state=0).fit(X, Y)
    assert estimator.n_outputs_ == 2 and estimator.predict(X).shape == (200, 2)
    assert estimator.score(X, Y) == pytest.approx(r2_score(Y, estimator.predict(X)), rel=1e-12)
    assert estimator.score(X, Y) > 0.95


def test_classifier_score_is_weighted_accuracy(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = moons
    labels = np.where(y == 1, "upper", "lower")
    estimator = NNClassifier(training__epochs=40, random_state=0).fit(X, labels)
    assert list(estimator.classes_) == ["lower", "upper"]
    proba = estimator.predict_proba(X)
    assert proba.shape == (300, 2) and np.allclose(proba.sum(axis=1), 1.0)
    weights = np.linspace(0.1, 1.0, len(y))
    predicted = estimator.predict(X)
    expected = accuracy_score(labels, predicted, sample_weight=weights)
    assert estimator.score(X, labels, weights) == pytest.approx(expected)


def test_three_classes_use_softmax(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = moons
    y3 = np.where(X[:, 0] > 1.0, 7, y)  # labels 0, 1, 7
    estimator = NNClassifier(training__epochs=60, random_state=0).fit(X, y3)
    assert list(estimator.classes_) == [0, 1, 7]
    assert estimator.predict_proba(X).shape == (300, 3)
    assert set(estimator.predict(X)) <= {0, 1, 7}
    assert estimator.model_.spec.model.layers[-1].params["units"] == 3


# -- bad input -------------------------------------------------------------------------------------


def test_errors_for_bad_input(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = moons
    estimator = NNClassifier(training__epochs=5)
    with pytest.raises(NotFittedError, match="This NNClassifier instance is not fitted yet"):
        estimator.predict(X)
    estimator.fit(X, y)
    with pytest.raises(ValueError, match=r"^X has 3 features, but NNClassifier is expecting 2 features as input\.$"):
        estimator.predict(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="expected a 2D array for X, got an array of shape \\(2,\\)"):
        estimator.predict(np.zeros(2))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        estimator.fit(bad, y)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        estimator.predict(bad)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        NNRegressor().fit(X, np.where(y == 1, np.nan, 0.0))
    with pytest.raises(ValueError, match="X has 300, y has 299"):
        NNClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="^Unknown label type: continuous"):
        NNClassifier().fit(X, X[:, 0])


def test_unknown_override_key_is_one_line_naming_it(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = moons
    with pytest.raises(ValueError) as caught:
        NNClassifier(optimizer__lrr=0.1).fit(X, y)
    message = str(caught.value)
    assert isinstance(caught.value, NNError)
    assert message.count("\n") == 0
    assert message.startswith("(NNClassifier parameter optimizer__lrr): optimizer.lrr: unknown parameter")
    assert "did you mean 'lr'?" in message
    with pytest.raises(ValueError, match=r"^\(NNRegressor parameter trainig__epochs\): trainig: "):
        NNRegressor(trainig__epochs=3).fit(X, y.astype(float))
    with pytest.raises(ValueError, match=r"optimizer\.lr: must be greater than 0, got -1"):
        NNClassifier(optimizer__lr=-1).fit(X, y)
    with pytest.raises(ValueError, match=r"data__dataset__n_samples\): data.dataset.n_samples: fit\(X, y\) supplies"):
        NNClassifier(data__dataset__n_samples=10).fit(X, y)  # never silently ignored
    with pytest.raises(ValueError, match=r"^nope.yaml: spec file not found$"):
        NNClassifier("nope.yaml").fit(X, y)
    with pytest.raises(ValueError, match="spec must be a spec file path, a spec dict or None, got int"):
        NNClassifier(spec=3).fit(X, y)


def test_spec_output_layer_is_sized_to_the_targets(moons: tuple[np.ndarray, np.ndarray]) -> None:
    """A spec's dense softmax (or regression) output takes the data's class (or target) count, as MLPClassifier's."""
    X, y = moons
    labels = np.arange(300) % 3
    fitted = NNClassifier(str(MOONS_L2), training__epochs=20, random_state=0).fit(X, labels)  # a 2-unit softmax
    assert fitted.model_.spec.model.layers[-1].params["units"] == 3
    assert fitted.predict_proba(X).shape == (300, 3)
    assert set(fitted.predict(X)) <= {0, 1, 2}
    three = NNClassifier(str(ROOT / "specs" / "moons-3-class.yaml"), training__epochs=20).fit(X, y)
    assert three.model_.spec.model.layers[-1].params["units"] == 2  # a 3-unit softmax on two classes
    assert three.predict_proba(X).shape == (300, 2)
    two = NNRegressor(str(ROOT / "specs" / "welch-iris.yaml"), training__epochs=5).fit(X, np.column_stack([y, y]))
    assert two.predict(X).shape == (300, 2)  # a 1-unit sigmoid output, one unit per target column
    # A 1-unit sigmoid under binary cross-entropy on three classes: a softmax under categorical cross-entropy.
    spirals = NNClassifier(str(ROOT / "specs" / "spirals.yaml"), training__epochs=20).fit(X, labels)
    assert spirals.model_.spec.model.layers[-1].params["units"] == 3
    assert spirals.model_.metadata["spec"]["loss"]["type"] == "categorical_cross_entropy"
    assert np.allclose(spirals.predict_proba(X).sum(axis=1), 1.0)
    # Units, an output activation or a loss the caller set are theirs: named, not changed.
    message = r"last layer has 2 units but the targets need 3 \(set model__layers__1__units\)"
    with pytest.raises(ValueError, match=message):
        NNClassifier(str(MOONS_L2), model__layers__1__units=2, training__epochs=1).fit(X, labels)
    sigmoid = {"type": "dense", "units": 1, "activation": "sigmoid"}
    with pytest.raises(ValueError, match=r"last layer has 1 units but the targets need 3"):
        NNClassifier(model__layers__1=sigmoid, loss="binary_cross_entropy", training__epochs=1).fit(X, labels)


def test_whole_layers_override_is_sized_like_a_spec(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, _ = moons
    layers = [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dropout", "rate": 0.2}]
    softmax = {"type": "dense", "units": 2, "activation": "softmax"}
    fitted = NNClassifier(model__layers=[*layers, softmax], training__epochs=5).fit(X, np.arange(300) % 4)
    assert fitted.predict_proba(X).shape == (300, 4)
    identity = {"type": "dense", "units": 1}
    targets = np.column_stack([X[:, 0], X[:, 1], X.sum(axis=1)])
    regressor = NNRegressor(model__layers=[*layers, identity], training__epochs=5).fit(X, targets)
    assert regressor.predict(X).shape == (300, 3)


def test_data_the_spec_cannot_split_is_a_value_error(moons: tuple[np.ndarray, np.ndarray]) -> None:
    """scikit-learn's tools (and its check_fit2d_1sample) expect ValueError for unusable data; nn's DataError too."""
    X, _ = moons
    estimator = NNRegressor(data__split={"dev": 0.2}, training__epochs=2)
    with pytest.raises(ValueError, match=r"^data\.split: the dev split of 1 samples is empty") as caught:
        estimator.fit(X[:1], [0.5])
    assert isinstance(caught.value, NNError) and "\n" not in str(caught.value)


def test_loading_with_the_other_estimator_names_the_right_one(
    moons: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    X, y = moons
    path = tmp_path / "clf.npz"
    NNClassifier(training__epochs=2).fit(X, y).save(path)
    message = r"clf\.npz holds a classification model; load it with NNClassifier\.load \(or nn_core\.sklearn\.load\)$"
    with pytest.raises(NNError, match=message):
        NNRegressor.load(path)
    assert type(load(path)).__name__ == "NNClassifier"


# -- model files, pickling, the CLI ----------------------------------------------------------------


def test_save_load_and_nn_predict_with_feature_names(
    moons: tuple[np.ndarray, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pd = pytest.importorskip("pandas")
    X, y = moons
    frame = pd.DataFrame(X, columns=["width", "height"])
    labels = np.where(y == 1, "cat", "dog")
    estimator = NNClassifier(training__epochs=40, random_state=0).fit(frame, labels)
    assert list(estimator.feature_names_in_) == ["width", "height"]
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        estimator.predict(X[:2])
    path = tmp_path / "model.npz"
    estimator.save(path)

    loaded = NNClassifier.load(path)
    assert loaded.classes_.dtype == estimator.classes_.dtype and list(loaded.classes_) == ["cat", "dog"]
    assert list(loaded.feature_names_in_) == ["width", "height"] and loaded.n_features_in_ == 2
    assert np.array_equal(loaded.predict_proba(frame), estimator.predict_proba(frame))
    assert type(load(path)) is NNClassifier

    inputs = tmp_path / "inputs.csv"
    frame[["height", "width"]].to_csv(inputs, index=False)  # columns in another order: matched by name
    code, out, err = nn("predict", str(path), str(inputs), "-o", str(tmp_path / "out.csv"), "--proba", capsys=capsys)
    assert code == 0, err
    with open(tmp_path / "out.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["label"] for r in rows] == list(estimator.predict(frame))
    assert np.allclose([float(r["proba_cat"]) for r in rows], estimator.predict_proba(frame)[:, 0], atol=1e-6)

    frame.rename(columns={"width": "w"}).to_csv(inputs, index=False)
    code, _, err = nn("predict", str(path), str(inputs), "-o", str(tmp_path / "out.csv"), capsys=capsys)
    assert code == 1 and err.strip().count("\n") == 0 and "lacks feature column(s) 'width'" in err


def test_nn_evaluate_needs_data_spec_and_uses_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nn_core.experiment import load_data
    from nn_core.plugins import load_plugins
    from nn_core.spec import load_spec

    data = load_data(load_spec(MOONS_L2), load_plugins().registry)
    estimator = NNClassifier(str(MOONS_L2), training__epochs=500).fit(data.X, data.y)
    path = tmp_path / "model.npz"
    estimator.save(path)

    code, out, err = nn("evaluate", str(path), capsys=capsys)
    assert code == 1 and out == ""
    assert err == (
        "nn: error: data.dataset 'arrays' stands for the arrays passed to NNClassifier.fit(X, y), which no file "
        "holds; to evaluate a model trained on them, pass --set 'data.dataset={type: csv, path: FILE, label: COLUMN}' "
        "or --data SPEC (a whole spec whose data section loads them)\n"
    )
    code, out, err = nn("evaluate", str(path), "--data", str(MOONS_L2), "--json", capsys=capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["train"]["accuracy"] == pytest.approx(estimator.score(data.X, data.y), abs=1e-12)
    assert report["train"]["samples"] == 200

    labelled = tmp_path / "labelled.csv"  # what the error's first hint says, followed to the letter
    np.savetxt(labelled, np.column_stack([data.X, data.y]), delimiter=",", header="a,b,y", comments="")
    dataset = f"data.dataset={{type: csv, path: {labelled}, label: y}}"
    code, out, err = nn("evaluate", str(path), "--set", dataset, "--json", capsys=capsys)
    assert code == 0, err
    assert json.loads(out)["train"]["accuracy"] == pytest.approx(estimator.score(data.X, data.y), abs=1e-12)

    inputs = tmp_path / "inputs.csv"
    np.savetxt(inputs, data.X[:10], delimiter=",", header="a,b", comments="")
    code, _, err = nn("predict", str(path), str(inputs), "-o", str(tmp_path / "out.csv"), capsys=capsys)
    assert code == 0, err
    with open(tmp_path / "out.csv", newline="") as f:
        assert [int(r["label"]) for r in csv.DictReader(f)] == list(estimator.predict(data.X[:10]))


def test_nn_train_model_file_loads_as_an_estimator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = nn(
        "train", str(MOONS_L2), "--set", "training.epochs=50", "-q", "-o", str(tmp_path / "m.npz"), capsys=capsys
    )
    assert code == 0, err
    model = load_model(tmp_path / "m.npz")
    estimator = NNClassifier.load(tmp_path / "m.npz")
    X = np.random.default_rng(0).normal(size=(20, 2))
    assert model.classes == ["0", "1"] and list(estimator.classes_) == [0, 1]  # integer names: integer labels
    assert estimator.n_features_in_ == 2
    assert np.array_equal(estimator.predict(X), model.predict(X))
    with pytest.raises(NNError, match="holds a classification model; load it with NNClassifier.load"):
        NNRegressor.load(tmp_path / "m.npz")
    refit = clone(estimator).fit(X, (X[:, 0] > 0).astype(int))  # the stored spec trains again on new data
    assert refit.model_.spec.model.layers[0].params["units"] == 3


def test_pickle_holds_a_model_file_not_nn_objects(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = moons
    estimator = NNRegressor(training__epochs=20, random_state=0).fit(X, y.astype(float))
    blob = pickle.dumps(estimator)
    assert b"nn_numpy" not in blob and b"nn_core.model" not in blob
    restored = pickle.loads(blob)
    assert np.array_equal(restored.predict(X), estimator.predict(X))
    assert restored.get_params() == estimator.get_params()
    unfitted = pickle.loads(pickle.dumps(NNRegressor(training__epochs=3)))
    assert unfitted.get_params()["training__epochs"] == 3 and not hasattr(unfitted, "model_")


# -- plugins and optional scikit-learn ---------------------------------------------------------------


def test_third_party_plugin_components_work() -> None:
    pytest.importorskip("nn_example_plugin")
    from nn_core import build, load_spec, train
    from nn_core.experiment import load_data
    from nn_core.plugins import load_plugins

    path = ROOT / "examples" / "nn-example-plugin" / "specs" / "moons-swish-lion.yaml"
    spec = load_spec(path)
    data = load_data(spec, load_plugins().registry)
    estimator = NNClassifier(str(path)).fit(data.X, data.y)
    used = {(c["kind"], c["name"]): c for c in estimator.model_.metadata["components"]}
    assert used[("optimizer", "lion")]["distribution"] == "nn-example-plugin"
    assert used[("activation", "swish")]["distribution"] == "nn-example-plugin"
    reference = train(build(spec)).experiment.network.state_arrays()  # what `nn train` trains
    ours = estimator.model_.network.state_arrays()
    assert all(np.array_equal(ours[name], reference[name]) for name in reference)
    assert estimator.score(data.X, data.y) > 0.9


def test_works_without_scikit_learn(tmp_path: Path) -> None:
    program = f"""
import sys
sys.modules["sklearn"] = None  # any `import sklearn` now fails, as if it were not installed
import numpy as np
import nn_core.sklearn
from nn_core.sklearn import NNClassifier, expected_failed_checks
assert "sklearn" not in [m.split(".")[0] for m in sys.modules if sys.modules[m] is not None]
X = np.random.default_rng(0).normal(size=(120, 2)); y = (X[:, 0] * X[:, 1] > 0).astype(int)
est = NNClassifier(training__epochs=150, random_state=0)
try:
    est.predict(X)
except ValueError as exc:
    assert type(exc).__module__ == "nn_core.sklearn.estimators", type(exc)
assert [c.__name__ for c in NNClassifier.__mro__] == ["NNClassifier", "_Classifier", "_NNEstimator", "object"]
est.fit(X, y)
assert est.score(X, y) > 0.9, est.score(X, y)
assert type(est.set_params(optimizer__lr=0.02)) is NNClassifier and est.get_params()["optimizer__lr"] == 0.02
est.save({str(tmp_path / "m.npz")!r})
print(NNClassifier.load({str(tmp_path / "m.npz")!r}).predict(X[:3]).tolist(), expected_failed_checks(est))
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("{}")


def test_importing_nn_core_sklearn_does_not_import_scikit_learn() -> None:
    program = "import sys, nn_core.sklearn; print('sklearn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
