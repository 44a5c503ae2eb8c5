"""schedule: plateau lowers the lr when the monitored metric stalls, and resumes exactly."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from nn_core.cli import main
from nn_core.errors import NNError
from nn_core.model import load_model
from nn_core.plateau import Plateau

ROOT = Path(__file__).resolve().parents[1]
MOONS = str(ROOT / "specs" / "moons-l2.yaml")


def _experiment(higher_is_better: bool = False) -> SimpleNamespace:
    metric = SimpleNamespace(higher_is_better=higher_is_better)
    return SimpleNamespace(splits={"train": 0, "dev": 0}, metrics={"accuracy": metric})


def _lrs(schedule: Plateau, values: list[float], monitor: str = "loss") -> list[float]:
    lrs = []
    for epoch, value in enumerate(values):
        schedule.observe(epoch, {"dev": {monitor: value}}, _experiment())
        lrs.append(schedule.lr(1.0, epoch + 1))
    return lrs


def test_reduces_after_patience_epochs_without_improvement() -> None:
    lrs = _lrs(Plateau(patience=3, factor=0.5), [5, 4, 4, 4, 4, 4, 3, 3, 3, 3])
    assert lrs == [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]


def test_cooldown_and_min_lr() -> None:
    lrs = _lrs(Plateau(patience=2, factor=0.5, cooldown=2, min_lr=0.2), [1.0] * 11)
    assert lrs == [1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2]


def test_higher_is_better_metrics_and_min_delta() -> None:
    schedule = Plateau(monitor="dev.accuracy", patience=2, factor=0.1, min_delta=0.01)
    for epoch, value in enumerate([0.5, 0.6, 0.605, 0.609]):  # +0.005 and +0.009 are below min_delta
        schedule.observe(epoch, {"dev": {"accuracy": value}}, _experiment(higher_is_better=True))
    assert schedule.lr(1.0, 4) == pytest.approx(0.1)


def test_monitor_must_exist() -> None:
    with pytest.raises(NNError, match=r"no test split \(set data.split.test\)"):
        Plateau(monitor="test.loss").observe(0, {}, _experiment())
    with pytest.raises(NNError, match="'f1' is not in metrics"):
        Plateau(monitor="dev.f1").observe(0, {"dev": {"loss": 1.0}}, _experiment())


def test_training_lowers_the_lr_and_a_resumed_run_matches_bit_for_bit(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    sets = [
        "data.split.dev=0.2",
        "training.epochs=1200",
        "training.log_every=100",
        "schedule={type: plateau, monitor: dev.loss, patience: 300, factor: 0.5}",
    ]
    args = [a for s in sets for a in ("--set", s)]
    whole = tmp_path / "whole.nn"
    assert main(["train", MOONS, "-q", "-o", str(whole), *args]) == 0
    ckpt = tmp_path / "ckpt"
    parted = tmp_path / "parted.nn"
    first = [*args, "--set", f"training.checkpoint={{dir: {ckpt}, every: 700, keep: 2}}"]
    assert main(["train", MOONS, "-q", "-o", str(tmp_path / "ignored.nn"), *first]) == 0
    resume = sorted(ckpt.glob("*.ckpt"))[0]
    assert resume.name == "epoch-000700.ckpt"  # mid-run, after the first reductions
    assert main(["train", MOONS, "-q", "-o", str(parted), *args, "--resume", str(resume)]) == 0
    a, b = load_model(whole), load_model(parted)
    for name, array in a.network.state_arrays().items():
        np.testing.assert_array_equal(array, b.network.state_arrays()[name])
    # the dev loss stalls on this spec, so the lr was lowered: replaying the history says when,
    # and training without the schedule ends elsewhere
    replay = Plateau(monitor="dev.loss", patience=300, factor=0.5)
    for row in a.metadata["history"]:
        replay.observe(row["epoch"], row, SimpleNamespace(splits={"dev": 0}, metrics={}))
    assert replay.reductions >= 1
    plain = tmp_path / "plain.nn"
    assert main(["train", MOONS, "-q", "-o", str(plain), *args[:-2]]) == 0
    assert not np.array_equal(load_model(plain).network.get_flat(), a.network.get_flat())
