"""Determinism stated honestly (issue 12, item 10) and one-line warnings (item 11).

Weights depend on the BLAS thread count: training records the library and
the count in the model file, and ``NN_BLAS_THREADS`` pins the count for a run.
Warnings, numpy's RuntimeWarnings included, print as one ``nn: warning:``
line each, without the source line Python's default format adds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from nn_core import cli, hookimpl
from nn_core.model import load_model
from nn_core.plugins import load_plugins

ROOT = Path(__file__).resolve().parents[1]
SPIRALS = str(ROOT / "specs" / "spirals.yaml")


def blas_threads() -> int:
    return next(int(p["num_threads"]) for p in threadpool_info() if p["user_api"] == "blas")


class SeesThreads:
    def __init__(self) -> None:
        self.seen: list[int] = []

    @hookimpl
    def nn_epoch_end(self, run: Any, epoch: int, metrics: Any) -> None:
        self.seen.append(blas_threads())


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The installed plugins plus a hook that reads the BLAS thread count; what the CLI loads during the test."""
    import nn_core.plugins

    loaded = load_plugins()
    plugin = SeesThreads()
    loaded.pm.register(plugin)
    monkeypatch.setattr(nn_core.plugins, "load_plugins", lambda *a, **k: loaded)
    return plugin


def test_nn_blas_threads_pins_training_and_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spy: SeesThreads, capsys: Any
) -> None:
    before = blas_threads()
    monkeypatch.setenv("NN_BLAS_THREADS", "1")
    out = tmp_path / "m.nn"
    assert cli.main(["train", SPIRALS, "-q", "-o", str(out), "--set", "training.epochs=5"]) == 0
    assert spy.seen == [1] * 5, "training did not run on one BLAS thread"
    assert blas_threads() == before, "the thread count was not given back after training"
    environment = load_model(out).metadata["environment"]
    assert environment["blas_threads"] == 1 and environment["blas"].startswith(("openblas", "mkl", "blis"))


def test_without_the_variable_the_count_in_use_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.delenv("NN_BLAS_THREADS", raising=False)
    out = tmp_path / "m.nn"
    assert cli.main(["train", SPIRALS, "-q", "-o", str(out), "--set", "training.epochs=2"]) == 0
    assert load_model(out).metadata["environment"]["blas_threads"] == blas_threads()


def test_a_bad_thread_count_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("NN_BLAS_THREADS", "zero")
    assert cli.main(["train", SPIRALS, "-q", "--set", "training.epochs=2"]) == 1
    assert capsys.readouterr().err.strip() == (
        "nn: error: NN_BLAS_THREADS must be a positive integer (BLAS threads for training), got 'zero'"
    )


def test_pinned_runs_are_bit_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setenv("NN_BLAS_THREADS", "1")
    models = []
    for name in ("a.nn", "b.nn"):
        assert cli.main(["train", SPIRALS, "-q", "-o", str(tmp_path / name), "--set", "training.epochs=50"]) == 0
        models.append(load_model(tmp_path / name).network.state_arrays())
    assert all(np.array_equal(models[0][k], models[1][k]) for k in models[0])


@pytest.mark.filterwarnings("default")
def test_runtime_warnings_are_one_line(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    def overflowing(args: Any) -> int:
        np.exp(np.array([1000.0]))  # numpy: RuntimeWarning: overflow encountered in exp
        import warnings

        warnings.warn("first line\n    a second line\n    and a third", RuntimeWarning, stacklevel=1)
        return 0

    monkeypatch.setattr(cli, "cmd_validate", overflowing)
    assert cli.main(["validate", SPIRALS]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        "nn: warning: overflow encountered in exp (RuntimeWarning, test_threads_and_warnings.py:"
    )
    assert lines[1].startswith("nn: warning: first line (RuntimeWarning, test_threads_and_warnings.py:")
