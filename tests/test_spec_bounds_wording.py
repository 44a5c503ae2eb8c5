"""Numeric bounds read as what the value must be, on a real spec with the numpy backend installed
(nn-core's own env has no backend, so a tutorial spec cannot validate there)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("optimizer.lr=0", "optimizer.lr: must be greater than 0, got 0"),
        ("training.epochs=0", "training.epochs: must be at least 1, got 0"),
        ("data.split.dev=1.5", "data.split.dev: must be less than 1, got 1.5"),
    ],
)
def test_numeric_bounds_say_what_the_value_must_be(override: str, expected: str, capsys) -> None:  # type: ignore[no-untyped-def]
    from nn_core.cli import main

    spec = str(Path(__file__).resolve().parents[1] / "specs" / "spirals.yaml")
    assert main(["validate", spec, "--set", override]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"nn: error: (--set {override}): {expected}"
