"""Each picture command writes a real image: decoded, of a sensible size, not blank."""

from __future__ import annotations

import re
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


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu", "gelu", "{type: leaky_relu, alpha: 0.2}"])
def test_activation(name: str, tmp_path: Path) -> None:
    out = tmp_path / "activation.png"
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


def test_activation_parameters_reach_the_curve_and_are_checked(tmp_path: Path) -> None:
    from nn_core.errors import NNError
    from nn_core.plotting.activation import activation_from_text, curves, describe
    from nn_core.plugins import load_plugins

    registry = load_plugins().registry
    leaky = activation_from_text("{type: leaky_relu, alpha: 0.2}", registry, "numpy")
    y, dy = curves(leaky, np.array([-2.0, 3.0]))
    assert y.tolist() == [-0.4, 3.0] and dy.tolist() == [0.2, 1.0]
    assert describe(leaky) == "leaky_relu (alpha 0.2)"
    assert activation_from_text("leaky_relu", registry, "numpy").alpha == 0.01  # the schema's default
    wanted = "unknown parameter 'alpa' for activation leaky_relu; did you mean 'alpha'? (allowed: alpha)"
    with pytest.raises(NNError, match=re.escape(wanted)):
        activation_from_text("{type: leaky_relu, alpa: 0.2}", registry, "numpy")
    with pytest.raises(NNError, match="alpha: must be at most 1, got 3"):
        activation_from_text("{type: leaky_relu, alpha: 3}", registry, "numpy")


def test_softmax_is_refused_with_a_reason(tmp_path: Path) -> None:
    result = nn("plot", "activation", "softmax", "-o", str(tmp_path / "s.png"))
    assert result.returncode != 0
    assert "maps a whole row of scores to probabilities" in result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "s.png").exists()


def test_boundary_points_share_their_region_colours_and_the_legend_names_classes() -> None:
    from nn_core.plotting import pyplot
    from nn_core.plotting.boundary import class_colours, draw, grid_for

    plt = pyplot()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2))
    y = np.repeat(np.arange(3), 30)
    xx, yy = grid_for(X, steps=40)
    zz = np.where(xx < -0.5, 0, np.where(xx < 0.5, 1, 2))
    fig, ax = plt.subplots()
    draw(ax, xx, yy, zz, {"train": (X[:60], y[:60]), "dev": (X[60:], y[60:])}, 3, ["setosa", "versicolor", "virginica"])
    fig.canvas.draw()  # colours are mapped at draw time
    colours = np.asarray(class_colours(3))[:, :3]
    for points, labels in zip(ax.collections[-2:], (y[:60], y[60:]), strict=True):
        np.testing.assert_allclose(points.get_facecolors()[:, :3], colours[labels])
    regions = ax.collections[0]  # the filled contour set: one colour per class level
    np.testing.assert_allclose(regions.get_facecolors()[:, :3], colours)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["setosa", "versicolor", "virginica", "train split", "dev split"]
    plt.close(fig)


def test_boundary_title_names_the_split(tmp_path: Path, model: Path) -> None:
    from nn_core.plotting import pyplot

    out = tmp_path / "b.png"
    titles: list[str] = []
    plt = pyplot()
    original = plt.Axes.set_title

    def spy(self, label, *args, **kwargs):  # type: ignore[no-untyped-def]
        titles.append(label)
        return original(self, label, *args, **kwargs)

    plt.Axes.set_title = spy  # type: ignore[method-assign]
    try:
        from nn_core.cli import main

        assert main(["plot", "boundary", str(model), "-o", str(out)]) == 0
    finally:
        plt.Axes.set_title = original  # type: ignore[method-assign]
    assert "accuracy on train" in titles[-1] and "dev" in titles[-1] and "(60 points)" in titles[-1]


def test_history_epoch_labels_never_collide(tmp_path: Path) -> None:
    from nn_core.plotting import pyplot
    from nn_core.plotting.history import epoch_label, epoch_ticks

    assert [epoch_label(e, 20000) for e in (0, 2500, 17500)] == ["0", "2.5k", "17.5k"]
    plt = pyplot()
    for last in (10, 1000, 20000, 1_000_000):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, last], [0, 1])
        epoch_ticks(ax, last)
        fig.canvas.draw()
        boxes = [t.get_window_extent() for t in ax.get_xticklabels() if t.get_text()]
        assert len(boxes) >= 2
        for left, right in zip(boxes, boxes[1:], strict=False):
            assert left.x1 < right.x0, f"tick labels overlap for {last} epochs"
        plt.close(fig)


def test_confusion_picture(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "confusion.png"
    result = nn("plot", "confusion", str(model), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert_picture(out, min_side=250)


def test_animation_frames_have_no_empty_bands(tmp_path: Path) -> None:
    from PIL import Image

    out = tmp_path / "circles.gif"
    result = nn("animate", "specs/circles.yaml", "--set", "training.epochs=20", "--every", "10", "-o", str(out))
    assert result.returncode == 0, result.stderr
    with Image.open(out) as gif:
        gif.seek(gif.n_frames - 1)
        pixels = np.asarray(gif.convert("RGB"))
    white = (pixels > 245).all(axis=2)
    assert white.all(axis=1).mean() < 0.08  # blank rows: margins only, not bands
    assert white.all(axis=0).mean() < 0.1
