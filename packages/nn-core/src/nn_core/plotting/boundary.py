"""Decision regions over 2-D data, drawn as tutorials 000, 003 and 004 draw them."""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.errors import NNError


def grid_for(X: np.ndarray, steps: int = 300, margin: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """A mesh covering the data plus a margin: (xx, yy) of shape (steps, steps)."""
    low, high = X.min(axis=0), X.max(axis=0)
    pad = (high - low) * margin
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], steps)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], steps)
    return np.meshgrid(xs, ys)


def regions(predict: Any, xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    return np.asarray(predict(np.column_stack([xx.ravel(), yy.ravel()]))).reshape(xx.shape)


MARKERS = {"train": "o", "dev": "^", "test": "s"}
"""Each split's points keep their own marker, so a picture shows which points were held out."""


def class_colours(classes: int) -> list[Any]:
    """One distinct colour per class (tab10, or tab20 beyond ten classes), shared by regions and points."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if classes <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(classes)]


def draw(
    ax: Any,
    xx: np.ndarray,
    yy: np.ndarray,
    zz: np.ndarray,
    points: dict[str, tuple[np.ndarray, np.ndarray]],
    classes: int,
    names: list[str] | None = None,
) -> None:
    """Regions in light class colours, points in the same colours, and a legend naming the classes.

    ``points`` maps a split name to its (X, y); a point of class k is drawn in
    exactly the colour of region k (lighter there), so a point on a region of
    another colour is a misclassified point.
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.lines import Line2D

    colours = class_colours(classes)
    cmap = ListedColormap(colours)
    norm = BoundaryNorm(np.arange(classes + 1) - 0.5, classes)
    ax.contourf(xx, yy, zz, levels=np.arange(classes + 1) - 0.5, cmap=cmap, norm=norm, alpha=0.3)
    for split, (X, y) in points.items():
        ax.scatter(
            X[:, 0],
            X[:, 1],
            c=y,
            cmap=cmap,
            norm=norm,
            s=22,
            marker=MARKERS.get(split, "D"),
            edgecolor="black",
            linewidth=0.4,
        )
    labels = names or [str(k) for k in range(classes)]
    handles = [
        Line2D([], [], marker="o", linestyle="", markerfacecolor=colours[k], markeredgecolor="black", label=labels[k])
        for k in range(classes)
    ]
    if len(points) > 1:
        handles += [
            Line2D([], [], marker=MARKERS.get(split, "D"), linestyle="", color="grey", label=f"{split} split")
            for split in points
        ]
    ax.legend(handles=handles, loc="best", framealpha=0.85, fontsize="small", title="class")
    ax.set(xlabel="$X_1$", ylabel="$X_2$", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
    ax.set_aspect("equal", adjustable="box")


def figure_size(xx: np.ndarray, yy: np.ndarray, longest: float = 7.0) -> tuple[float, float]:
    """A figure shaped like the data, so an equal-aspect plot leaves no empty bands."""
    width, height = float(np.ptp(xx)), float(np.ptp(yy))
    ratio = width / height if height > 0 else 1.0
    ratio = min(max(ratio, 0.4), 2.5)
    return (longest, longest / ratio) if ratio >= 1 else (longest * ratio, longest)


def class_indices(model: Any, X: np.ndarray) -> np.ndarray:
    from nn_core.builtins import predicted_labels

    return predicted_labels(model.predict_proba(X))


def plot_boundary(
    model: Any, X: np.ndarray, y: np.ndarray, path: str, title: str | None = None, seed: int | None = None
) -> None:
    """The model's regions over its data, points marked by split, accuracy per split in the title.

    The splits are made as training made them (``data.split`` and the spec's seed).
    """
    from nn_core.plotting import pyplot, save
    from nn_core.splits import split_data

    if model.task != "classification":
        raise NNError("nn plot boundary needs a classifier; this model does regression")
    if X.shape[1] != 2:
        raise NNError(f"nn plot boundary draws 2-D data; this model's data has {X.shape[1]} features")
    plt = pyplot()
    classes = max(int(model.predict_proba(X[:1]).shape[1]), 2)
    xx, yy = grid_for(X)
    zz = regions(lambda P: class_indices(model, P), xx, yy)
    from nn_core.contracts import Data

    split = model.spec.data.split
    parts = split_data(Data(X, y, None), split.dev, split.test, model.spec.seed if seed is None else seed)
    points = {name: (part.X, part.y) for name, part in parts.items()}
    fig, ax = plt.subplots(figsize=figure_size(xx, yy))
    draw(ax, xx, yy, zz, points, classes, model.classes)
    scores = ", ".join(
        f"{name} {np.mean(class_indices(model, part.X) == part.y):.1%} ({len(part.y)} points)"
        for name, part in parts.items()
    )
    ax.set_title(title or f"{model.spec.name}: decision boundary\naccuracy on {scores}")
    save(fig, path)
