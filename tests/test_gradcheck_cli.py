"""nn gradcheck on the tutorial specs: backprop agrees with numerical gradients."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("spec", ["spirals", "welch-bfgs", "moons-l2", "moons-deep", "mnist-kaggle"])
def test_gradcheck_passes(spec: str, tmp_path: Path) -> None:
    args = (
        ["--set", "data.dataset={type: blobs, n_samples: 60, n_features: 784, centers: 10}"] if "mnist" in spec else []
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nn_core.cli",
            "gradcheck",
            f"specs/{spec}.yaml",
            "--json",
            "--max-entries",
            "40",
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["passed"] and report["max_relative_error"] < 1e-7
    assert set(report["parameters"]) >= {"layers.0.weight", "layers.1.weight"}


LEAKY_BN = (
    "model.layers=[{type: dense, units: 8, activation: leaky_relu}, {type: batch_norm}, "
    "{type: dense, units: 4, activation: relu}, {type: dense, units: 1, activation: sigmoid}]"
)


@pytest.mark.parametrize(
    "override",
    [
        "model.layers[0].activation=leaky_relu",  # spirals' first rows sit at the kink of the zero-bias units
        LEAKY_BN,  # issue 17's dense(leaky_relu) → batch_norm → … network
        "model.layers[0]={type: batch_norm}",  # tiny gradients: passes by the absolute floor
    ],
)
def test_gradcheck_never_fails_a_correct_network(override: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nn_core.cli", "gradcheck", "specs/spirals.yaml", "--set", override],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gradient check passed" in result.stdout
    assert "FAIL" not in result.stdout
    if "leaky_relu" in override:
        assert "skipped training rows 0" in result.stdout and "kink" in result.stdout
