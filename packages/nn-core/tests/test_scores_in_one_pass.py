"""A log epoch scores each split with one forward pass when the network offers ``loss_and_proba``
(nn_core.contracts.ScoresInOnePass), and with ``loss`` then ``predict_proba`` when it does not."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from fakes import SPEC, Box, fake_plugins

from nn_core import build, load_spec
from nn_core.contracts import ScoresInOnePass
from nn_core.run import evaluate


def _experiment(tmp_path: Path) -> Any:
    plugins = fake_plugins()
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC)
    spec = load_spec(path, ["metrics=[mae, rmse]", "data.split.dev=0.25"], plugins=plugins)
    return build(spec, plugins=plugins)


def _count(calls: Counter[str], name: str, f: Any) -> Any:
    def counted(*args: Any) -> Any:
        calls[name] += 1
        return f(*args)

    return counted


def test_without_the_method_the_loss_and_outputs_take_two_passes(tmp_path: Path) -> None:
    experiment = _experiment(tmp_path)
    network, calls = experiment.network, Counter[str]()
    assert not isinstance(network, ScoresInOnePass)
    network.loss = _count(calls, "loss", network.loss)
    network.predict_proba = _count(calls, "predict_proba", network.predict_proba)
    metrics = evaluate(experiment)
    assert set(metrics) == {"train", "dev"}
    assert calls == {"loss": 2, "predict_proba": 2}


def test_with_the_method_each_split_is_scored_by_one_call_with_the_same_numbers(tmp_path: Path) -> None:
    experiment = _experiment(tmp_path)
    network, calls = experiment.network, Counter[str]()
    expected = evaluate(experiment)
    loss, proba = network.loss, network.predict_proba

    def loss_and_proba(X: Box, Y: Box) -> tuple[float, np.ndarray]:
        calls["loss_and_proba"] += 1
        return loss(X, Y), proba(X)

    network.loss_and_proba = loss_and_proba
    network.loss = _count(calls, "loss", loss)
    network.predict_proba = _count(calls, "predict_proba", proba)
    assert isinstance(network, ScoresInOnePass)
    assert evaluate(experiment) == expected
    assert calls == {"loss_and_proba": 2}


def test_without_metrics_only_the_loss_is_asked(tmp_path: Path) -> None:
    experiment = _experiment(tmp_path)
    experiment.metrics.clear()
    network, calls = experiment.network, Counter[str]()
    network.loss_and_proba = _count(calls, "loss_and_proba", lambda X, Y: (0.0, np.zeros(1)))
    network.loss = _count(calls, "loss", network.loss)
    assert set(evaluate(experiment)["train"]) == {"loss"}
    assert calls == {"loss": 2}
