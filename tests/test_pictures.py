"""Each picture command writes a real image: decoded, of a sensible size, not blank."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def nn(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nn_core.cli", *args], capture_output=True, text=True, cwd=ROOT)


def decoded(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def assert_picture(path: Path, min_side: int = 300) -> None:
    pixels = decoded(path)
    assert min(pixels.shape[:2]) >= min_side
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 20  # drawn, not blank


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "moons.nn"
    result = nn(
        "train",
        "specs/moons-3-class.yaml",
        "--set",
        "training.epochs=500",
        "--set",
        "data.split.dev=0.2",
        "-q",
        "-o",
        str(path),
    )
    assert result.returncode == 0, result.stderr
    return path


def test_boundary(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "boundary.png"
    result = nn("plot", "boundary", str(model), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert_picture(out)


def test_history(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "history.png"
    assert nn("plot", "history", str(model), "-o", str(out)).returncode == 0
    assert_picture(out)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu", "softmax", "gelu"])
def test_activation(name: str, tmp_path: Path) -> None:
    out = tmp_path / f"{name}.png"
    result = nn("plot", "activation", name, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert_picture(out)


def test_activation_derivative_is_the_backward() -> None:
    from nn_core.plotting.activation import curves
    from nn_core.plugins import load_plugins

    x = np.linspace(-3, 3, 61)
    y, dy = curves(load_plugins().registry.create("activation", "tanh", "numpy"), x)
    assert np.allclose(y, np.tanh(x)) and np.allclose(dy, 1 - np.tanh(x) ** 2)


def test_animate_gif(tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "circles.gif"
    result = nn("animate", "specs/circles.yaml", "--set", "training.epochs=300", "--every", "50", "-o", str(out))
    assert result.returncode == 0, result.stderr
    with Image.open(out) as gif:
        assert gif.n_frames == 7  # epochs 0, 50, ..., 300
        assert min(gif.size) >= 300


def test_unknown_activation_and_2d_only(model: Path, tmp_path: Path) -> None:
    result = nn("plot", "activation", "tahn", "-o", str(tmp_path / "x.png"))
    assert result.returncode != 0 and "did you mean 'tanh'?" in result.stderr
    mnist_like = tmp_path / "iris.nn"
    spec = "seed: 0\ndata: {dataset: iris}\nmodel: {layers: [{type: dense, units: 3, activation: softmax}]}\n"
    spec += "loss: categorical_cross_entropy\noptimizer: sgd\ntraining: {epochs: 2}\n"
    (tmp_path / "iris.yaml").write_text(spec)
    assert nn("train", str(tmp_path / "iris.yaml"), "-q", "-o", str(mnist_like)).returncode == 0
    result = nn("plot", "boundary", str(mnist_like), "-o", str(tmp_path / "b.png"))
    assert result.returncode != 0 and "draws 2-D data; this model's data has 4 features" in result.stderr
