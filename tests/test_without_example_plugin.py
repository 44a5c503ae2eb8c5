"""Without nn-example-plugin installed, a spec that names its components fails validation,
listing what is installed instead (the tox env `no-plugin` runs this file alone)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "nn-example-plugin" / "specs" / "moons-swish-lion.yaml"


def test_example_plugin_is_not_installed() -> None:
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution("nn-example-plugin")


def test_spec_naming_swish_fails_with_installed_activations() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "nn_core.cli", "validate", str(SPEC)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "unknown activation 'swish'" in result.stderr
    installed = "elu, gelu, identity, leaky_relu, relu, sigmoid, softmax, softplus, tanh"
    assert f"Installed activations: {installed}" in result.stderr
    assert "unknown optimizer 'lion'" in result.stderr
