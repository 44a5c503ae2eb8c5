"""Every tutorial spec in specs/ meets the number its tutorial reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from nn_core import build, load_spec, train

SPECS = Path(__file__).resolve().parents[1] / "specs"


def final(name: str, *overrides: str) -> dict[str, dict[str, float]]:
    return train(build(load_spec(SPECS / f"{name}.yaml", list(overrides)))).final_metrics


def test_welch_bfgs_cost_below_0_002() -> None:
    # Tutorial 001: "Current function value: 0.001227" after 51 BFGS iterations.
    assert final("welch-bfgs")["train"]["loss"] < 0.002


def test_welch_iris_converges() -> None:
    # Tutorial 001 on three iris flowers: "Current function value: 0.000003".
    assert final("welch-iris")["train"]["loss"] < 1e-4


def test_moons_l2_clean_boundary() -> None:
    assert final("moons-l2")["train"]["accuracy"] >= 0.95


def test_moons_three_classes() -> None:
    assert final("moons-3-class")["train"]["accuracy"] >= 0.9


@pytest.mark.parametrize("name", ["moons-ffnn", "moons-deep"])
def test_tutorial_004_loss_about_0_31_or_better(name: str) -> None:
    # The tutorial prints a loss of 0.307 after 24,000 iterations.
    metrics = final(name)["train"]
    assert metrics["loss"] <= 0.31
    assert metrics["accuracy"] >= 0.9


def test_circles_inner_blob_separated() -> None:
    assert final("circles")["train"]["accuracy"] >= 0.9


def test_every_spec_validates() -> None:
    names = sorted(p.stem for p in SPECS.glob("*.yaml"))
    assert len(names) >= 12
    for name in names:
        load_spec(SPECS / f"{name}.yaml")
