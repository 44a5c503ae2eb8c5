"""A third-party plugin written from docs/plugins.md alone, registered through
``load_plugins(plugins=...)``: every kind it provides conforms and trains, on a
one-sigmoid-unit binary model, a softmax model and a regression model.

Also the regression found on the way: on regression targets the default
``accuracy`` metric printed a number that meant nothing (0.975 for a sine fit).
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import thirdparty_plugin  # noqa: E402

from nn_core import build, hookimpl, load_plugins, load_spec, train  # noqa: E402
from nn_core.builtins import Accuracy  # noqa: E402
from nn_core.checkpoint import load_checkpoint, restore  # noqa: E402
from nn_core.errors import DataError, TrainingError  # noqa: E402
from nn_core.evaluation import evaluate_model  # noqa: E402
from nn_core.model import model_from_run  # noqa: E402
from nn_core.plugins import Plugins  # noqa: E402
from nn_core.testing import check_component  # noqa: E402

DIST = "nn-thirdparty"


def plugins_with(*components: type) -> Plugins:
    """nn-core, nn-numpy, the plugin and ``components`` (as distribution ``x``) alone:
    whatever else is installed (the plugin itself, say) cannot clash with them."""
    import nn_core.builtins
    import nn_numpy.plugin

    pairs = [(nn_core.builtins, "nn-core"), (nn_numpy.plugin, "nn-numpy"), (thirdparty_plugin, DIST)]
    if components:
        extra = types.ModuleType("x_components")
        extra.nn_contract_version = hookimpl(lambda: 2)
        extra.nn_components = hookimpl(lambda: list(components))
        pairs.append((extra, "x"))
    return load_plugins(entry_point_group=None, plugins=pairs)


@pytest.fixture(scope="module")
def plugins() -> Plugins:
    return plugins_with()


def spec(layers, loss, data, **extra):
    return {
        "seed": 7,
        "data": {"dataset": data, "split": {"dev": 0.25}},
        "model": {"layers": layers},
        "loss": loss,
        "optimizer": {"type": "adabelief", "lr": 0.05},
        "schedule": {"type": "warmup_cosine", "warmup": 2, "period": 30},
        "training": {"epochs": 30, "batch_size": 32, "log_every": 5, **extra.pop("training", {})},
        **extra,
    }


def hidden(units):
    return {"type": "dense", "units": units, "activation": {"type": "isru", "alpha": 2.0}, "init": "lecun_uniform_gain"}


def balanced_accuracy(y, labels):
    return float(np.mean([np.mean(labels[y == c] == c) for c in np.unique(y)]))


def test_every_component_conforms(plugins):
    infos = [info for info in plugins.registry.all() if info.distribution == DIST]
    assert sorted(i.name for i in infos) == sorted(c.name for c in thirdparty_plugin.nn_components())
    for info in infos:
        check_component(info, registry=plugins.registry)


@pytest.mark.parametrize(
    ("binary", "out", "loss"),
    [
        (True, {"type": "dense", "units": 1, "activation": "sigmoid"}, "binary_cross_entropy"),
        (False, {"type": "dense", "units": 4, "activation": "softmax"}, "categorical_cross_entropy"),
    ],
    ids=["one-sigmoid-unit", "softmax"],
)
def test_classification_with_every_kind(plugins, tmp_path, binary, out, loss):
    report = tmp_path / "report.json"
    document = spec(
        [hidden(8), out],
        loss,
        {"type": "quadrants", "binary": binary, "samples": 400, "seed": 3},
        metrics=["accuracy", "balanced_accuracy"],
        training={"callbacks": [{"type": "run_report", "path": str(report)}]},
    )
    run = train(build(load_spec(document, plugins=plugins), plugins=plugins), plugins=plugins)
    final = run.final_metrics
    assert final["train"]["balanced_accuracy"] > 0.9
    # The metric's number is the mean per-class recall of the model's own predictions.
    model = model_from_run(run)
    for name, split in run.experiment.splits.items():
        labels = np.asarray(model.network.predict_proba(split.X))
        predicted = (labels[:, 0] > 0.5).astype(int) if labels.shape[1] == 1 else labels.argmax(axis=1)
        assert final[name]["balanced_accuracy"] == pytest.approx(balanced_accuracy(split.data.y, predicted))
    written = json.loads(report.read_text())
    assert written["epoch"] == 30 and written["epoch_end_calls"] == 30
    assert [h["epoch"] for h in written["logged"]] == [0, 5, 10, 15, 20, 25, 30]
    assert written["classes"] == (["same", "opposite"] if binary else ["NE", "NW", "SW", "SE"])


def test_early_stopping_reads_higher_is_better(plugins):
    document = spec(
        [hidden(12), {"type": "dense", "units": 4, "activation": "softmax"}],
        "categorical_cross_entropy",
        {"type": "quadrants", "samples": 600, "seed": 5},
        metrics=["balanced_accuracy"],
        training={"epochs": 500, "log_every": 1, "early_stopping": {"monitor": "dev.balanced_accuracy", "patience": 4}},
    )
    run = train(build(load_spec(document, plugins=plugins), plugins=plugins), plugins=plugins)
    scores = [h["dev"]["balanced_accuracy"] for h in run.history]
    best = int(np.argmax(scores))  # the first best: later equal scores are no improvement
    assert run.epoch < 500 and run.epoch == best + 4
    assert run.final_metrics["dev"]["balanced_accuracy"] == scores[best]


def test_regression_leaves_the_default_accuracy_out(plugins):
    document = spec(
        [hidden(16), {"type": "dense", "units": 2, "activation": "identity"}],
        {"type": "huber", "delta": 0.3},
        {"type": "sine_wave", "samples": 200, "outputs": 2},
    )
    experiment = build(load_spec(document, plugins=plugins), plugins=plugins)
    assert experiment.task == "regression" and experiment.metrics == {}
    run = train(experiment, plugins=plugins)
    assert set(run.final_metrics["train"]) == {"loss"}
    model = model_from_run(run)
    results = evaluate_model(model, model.spec, plugins.registry)
    assert set(results["train"]) == {"samples", "loss"}
    assert results["train"]["loss"] == pytest.approx(run.final_metrics["train"]["loss"])


def test_accuracy_refuses_regression_targets():
    with pytest.raises(DataError, match=r"accuracy needs integer class labels.*\(float64, shape \(3, 2\)\)"):
        Accuracy().compute(np.zeros((3, 2)), np.full((3, 2), 0.5))
    with pytest.raises(DataError, match="remove 'accuracy' from metrics"):
        Accuracy().compute(np.array([0.5, 1.5]), np.array([[0.7], [0.2]]))
    assert Accuracy().compute(np.array([1, 0, 1]), np.array([[0.7], [0.2], [0.4]])) == pytest.approx(2 / 3)


def test_resume_is_bit_identical_and_the_callback_sees_the_resumed_run(plugins, tmp_path):
    report = tmp_path / "report.json"
    document = spec(
        [hidden(8), {"type": "dense", "units": 4, "activation": "softmax", "bias_init": "lecun_uniform_gain"}],
        "categorical_cross_entropy",
        {"type": "quadrants", "samples": 300, "seed": 1},
        metrics=["balanced_accuracy"],
        training={
            "checkpoint": {"dir": str(tmp_path / "ckpt"), "every": 10, "keep": 5},
            "callbacks": [{"type": "run_report", "path": str(report)}],
        },
    )
    whole = train(build(load_spec(document, plugins=plugins), plugins=plugins), plugins=plugins)
    experiment = build(load_spec(document, plugins=plugins), plugins=plugins)
    arrays, meta = load_checkpoint(tmp_path / "ckpt" / "epoch-000010.ckpt")
    resumed = train(experiment, resume=restore(experiment, arrays, meta, "epoch-10"), plugins=plugins)
    a, b = whole.experiment.network.state_arrays(), resumed.experiment.network.state_arrays()
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    written = json.loads(report.read_text())
    assert written["start_epoch"] == 10 and written["epoch_end_calls"] == 20
    assert [h["epoch"] for h in written["logged"]] == [0, 5, 10, 15, 20, 25, 30]
    assert resumed.history == whole.history


def test_evaluating_on_data_of_other_classes_or_another_task_is_refused(plugins):
    from nn_core.errors import NNError

    def trained(binary):
        units, act, loss = (
            (1, "sigmoid", "binary_cross_entropy") if binary else (4, "softmax", "categorical_cross_entropy")
        )
        document = spec(
            [hidden(4), {"type": "dense", "units": units, "activation": act}],
            loss,
            {"type": "quadrants", "binary": binary, "samples": 80},
            training={"epochs": 2},
        )
        return model_from_run(train(build(load_spec(document, plugins=plugins), plugins=plugins), plugins=plugins))

    four, two = trained(False), trained(True)
    binary_data = load_spec(
        spec([hidden(4)], "binary_cross_entropy", {"type": "quadrants", "binary": True}), plugins=plugins
    )
    with pytest.raises(
        NNError, match=r"^the data's classes \(same, opposite\) are not the model's \(NE, NW, SW, SE\)$"
    ):
        evaluate_model(four, binary_data, plugins.registry)
    assert set(evaluate_model(two, binary_data, plugins.registry)) == {"train", "dev"}
    regression = {"type": "inline", "features": [[0.1, 0.2], [0.3, -0.1]], "targets": [0.5, 1.5]}
    regression_data = load_spec(spec([hidden(4)], "huber", regression), plugins=plugins)
    regression_data = load_spec({**regression_data.document, "data": {"dataset": regression}}, plugins=plugins)
    with pytest.raises(
        NNError, match=r"^the model is a classification model but the data's targets are for regression$"
    ):
        evaluate_model(two, regression_data, plugins.registry)


def test_a_metric_of_the_other_task_is_refused_in_one_line_naming_it(plugins):
    # f1 on sine values scored 0.79 and rmse of labels against four softmax columns 1.46, silently.
    regression = spec(
        [hidden(8), {"type": "dense", "units": 2, "activation": "identity"}],
        "huber",
        {"type": "sine_wave", "samples": 60, "outputs": 2},
        metrics=["f1"],
        training={"epochs": 1},
    )
    with pytest.raises(DataError, match=r"^metrics: f1: a classification metric needs integer class labels, but "):
        train(build(load_spec(regression, plugins=plugins), plugins=plugins), plugins=plugins)
    softmax = spec(
        [hidden(8), {"type": "dense", "units": 4, "activation": "softmax"}],
        "categorical_cross_entropy",
        {"type": "quadrants", "samples": 60},
        metrics=["rmse"],
        training={"epochs": 1},
    )
    with pytest.raises(DataError, match=r"^metrics: rmse: .*got targets \(\d+, 1\) and outputs \(\d+, 4\)"):
        train(build(load_spec(softmax, plugins=plugins), plugins=plugins), plugins=plugins)
    # one sigmoid unit against 0/1 labels is a fair regression pair (the Brier score's root)
    sigmoid = spec(
        [hidden(8), {"type": "dense", "units": 1, "activation": "sigmoid"}],
        "binary_cross_entropy",
        {"type": "quadrants", "binary": True, "samples": 60},
        metrics=["rmse", "f1"],
        training={"epochs": 1},
    )
    run = train(build(load_spec(sigmoid, plugins=plugins), plugins=plugins), plugins=plugins)
    y, p = run.experiment.splits["train"].data.y, run.experiment.network.predict_proba(run.experiment.splits["train"].X)
    assert run.final_metrics["train"]["rmse"] == pytest.approx(float(np.sqrt(np.mean((y - p[:, 0]) ** 2))))


class RowInit(thirdparty_plugin.Initializer):
    """A buggy initializer: one row whatever the shape (numpy broadcast it into every row)."""

    name = "row_init"

    def __call__(self, shape, rng):
        return rng.standard_normal(shape[-1])


class ListInit(thirdparty_plugin.Initializer):
    """A buggy initializer: a list, not an array."""

    name = "list_init"

    def __call__(self, shape, rng):
        return rng.standard_normal(shape).tolist()


def test_an_initializer_draw_of_the_wrong_shape_or_type_is_refused_naming_it():
    import copy

    from nn_core.errors import PluginError

    plugins = plugins_with(RowInit, ListInit)
    for init, got in (("row_init", "float64 array of shape (2,)"), ("list_init", "list")):
        document = spec([{"type": "dense", "units": 3, "init": init}, hidden(2)], "huber", {"type": "quadrants"})
        with pytest.raises(PluginError) as err:
            build(load_spec(document, plugins=plugins), plugins=plugins)
        assert str(err.value) == (
            f"initializer {init!r} (x 0) returned a {got} for a parameter of shape (3, 2); "
            "an initializer returns a float64 numpy array of exactly that shape"
        )
    # a good one passes through unchanged, keeps its parameters readable, and copies
    good = {"type": "dense", "units": 3, "init": {"type": "lecun_uniform_gain", "gain": 2.0}}
    document = spec(
        [good, {"type": "dense", "units": 4, "activation": "softmax"}],
        "categorical_cross_entropy",
        {"type": "quadrants"},
    )
    layer = build(load_spec(document, plugins=plugins), plugins=plugins).network.layers[0]
    assert layer.init.gain == 2.0 and copy.deepcopy(layer).init.gain == 2.0


class NumpyHits(thirdparty_plugin.Metric):
    """Accuracy returned as np.float32 (JSON cannot write it)."""

    name = "numpy_hits"

    def compute(self, y_true, proba):
        return np.float32(np.mean(proba.argmax(axis=1) == y_true))


class WordMetric(thirdparty_plugin.Metric):
    """Returns a string."""

    name = "word_metric"

    def compute(self, y_true, proba):
        return "good"


def test_a_metric_returning_a_numpy_scalar_is_logged_and_one_returning_text_is_named(tmp_path):
    from nn_core.errors import PluginError

    plugins = plugins_with(NumpyHits, WordMetric)
    layers = [hidden(4), {"type": "dense", "units": 4, "activation": "softmax"}]
    log = tmp_path / "log.jsonl"
    document = spec(
        layers,
        "categorical_cross_entropy",
        {"type": "quadrants", "samples": 80},
        metrics=["numpy_hits"],
        training={"epochs": 2, "log_every": 1, "log": str(log)},
    )
    run = train(build(load_spec(document, plugins=plugins), plugins=plugins), plugins=plugins)
    assert type(run.final_metrics["train"]["numpy_hits"]) is float
    assert len(log.read_text().splitlines()) == 3
    model_from_run(run).save(tmp_path / "m.nn")
    document["metrics"] = ["word_metric"]
    with pytest.raises(PluginError, match=r"^metric 'word_metric' returned str 'good', not a number$"):
        train(build(load_spec(document, plugins=plugins), plugins=plugins), plugins=plugins)


class SlipperyData(thirdparty_plugin.Dataset):
    """A dataset with one slip per mode, as an outsider's first dataset may have."""

    name = "slippery"
    params_schema = {
        "type": "object",
        "properties": {"mode": {"type": "string", "default": "ok", "description": "which slip"}},
    }

    def __init__(self, *, mode="ok"):
        self.mode = mode

    def load(self):
        X = np.random.default_rng(0).normal(size=(40, 2))
        y = (X[:, 0] > 0).astype(np.int64)
        if self.mode == "nan":
            X[3, 1] = np.nan
        return {
            "nan": lambda: thirdparty_plugin.Data(X, y),
            "bool": lambda: thirdparty_plugin.Data(X, y.astype(bool)),
            "float-labels": lambda: thirdparty_plugin.Data(X, y.astype(float), classes=["a", "b"]),
            "few-names": lambda: thirdparty_plugin.Data(X, y, classes=["a"]),
            "short-y": lambda: thirdparty_plugin.Data(X, y[:-3]),
            "lists": lambda: thirdparty_plugin.Data(X.tolist(), y),
            "ok": lambda: thirdparty_plugin.Data(X, y),
        }[self.mode]()


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("nan", r"^data\.dataset \(slippery\): features must be finite, got nan at row 3, column 1$"),
        ("bool", r"^data\.dataset \(slippery\): labels are booleans; give integer labels 0/1"),
        ("float-labels", r"^data\.dataset \(slippery\): class names are given but the targets are float64"),
        ("few-names", r"^data\.dataset \(slippery\): labels must be 0 \.\. classes-1 for 1 class names, got 0 \.\. 1$"),
        ("short-y", r"^40 feature rows but 37 targets$"),
        ("lists", r"^nn_core\.contracts\.Data needs numpy arrays, got X: list, y: ndarray"),
    ],
)
def test_a_dataset_slip_is_one_line_at_data_dataset(mode, message):
    # Before: NaN features read "loss became NaN ... try a smaller learning rate", boolean or float
    # labels with class names trained silently as regression, lists and short y were internal errors.
    plugins = plugins_with(SlipperyData)
    document = spec(
        [{"type": "dense", "units": 1, "activation": "sigmoid"}],
        "binary_cross_entropy",
        {"type": "slippery", "mode": mode},
        training={"epochs": 1},
    )
    with pytest.raises(DataError, match=message):
        build(load_spec(document, plugins=plugins), plugins=plugins)
    document["data"]["dataset"]["mode"] = "ok"
    assert build(load_spec(document, plugins=plugins), plugins=plugins).task == "classification"


class ClimbingSchedule(thirdparty_plugin.Schedule):
    """A buggy schedule: the base rate, then its negative (gradient ascent) from epoch 2."""

    name = "climbing"

    def lr(self, base_lr, epoch):
        return base_lr if epoch < 2 else -base_lr


def test_a_negative_scheduled_rate_stops_training_in_one_line():
    # Before: training went on, the loss climbing, with no error.
    plugins = plugins_with(ClimbingSchedule)
    document = spec(
        [hidden(4), {"type": "dense", "units": 4, "activation": "softmax"}],
        "categorical_cross_entropy",
        {"type": "quadrants", "samples": 80},
        training={"epochs": 5},
    )
    document["schedule"] = "climbing"
    with pytest.raises(TrainingError) as err:
        train(build(load_spec(document, plugins=plugins), plugins=plugins), plugins=plugins)
    assert str(err.value) == (
        "schedule 'climbing' gave the learning rate -0.05 for epoch 2 (base lr 0.05); "
        "a learning rate must be a finite number >= 0"
    )


class TsvQuadrants(thirdparty_plugin.Quadrants):
    """Quadrants whose predictions are written as the guide says: TSV through atomic_write."""

    name = "tsv_quadrants"

    def read_inputs(self, path):
        return np.loadtxt(path, delimiter="\t", ndmin=2)

    def write_predictions(self, path, labels, proba, classes):
        from nn_core.outputs import atomic_write

        rows = [f"{label}\t{'' if proba is None else max(p)}" for label, p in zip(labels, proba, strict=True)]
        atomic_write(path, lambda f: f.write(("\n".join(rows) + "\n").encode()))
        return True


def test_predict_uses_the_datasets_reader_and_writer(tmp_path, monkeypatch):
    from nn_core import plugins as plugins_module
    from nn_core.cli import main

    plugins = plugins_with(TsvQuadrants)
    monkeypatch.setattr(plugins_module, "load_plugins", lambda *a, **k: plugins)
    document = spec(
        [hidden(8), {"type": "dense", "units": 4, "activation": "softmax"}],
        "categorical_cross_entropy",
        {"type": "tsv_quadrants", "samples": 200},
        training={"epochs": 30},
    )
    model = model_from_run(train(build(load_spec(document, plugins=plugins), plugins=plugins), plugins=plugins))
    model.save(tmp_path / "m.nn")
    (tmp_path / "in.tsv").write_text("0.9\t0.8\n-0.7\t-0.9\n")
    assert (
        main(["predict", str(tmp_path / "m.nn"), str(tmp_path / "in.tsv"), "-o", str(tmp_path / "out.tsv"), "--proba"])
        == 0
    )
    rows = [line.split("\t") for line in (tmp_path / "out.tsv").read_text().splitlines()]
    assert [r[0] for r in rows] == ["NE", "SW"] and all(0.5 < float(r[1]) <= 1 for r in rows)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tsv", "m.nn", "out.tsv"]  # no temporary left
