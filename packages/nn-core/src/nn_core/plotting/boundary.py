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


def draw(ax: Any, xx: np.ndarray, yy: np.ndarray, zz: np.ndarray, X: np.ndarray, y: np.ndarray, classes: int) -> None:
    levels = np.arange(classes + 1) - 0.5
    ax.contourf(xx, yy, zz, levels=levels, alpha=0.55, cmap="Spectral")
    # dark edges: Spectral's middle colours (pale yellow) vanish on their own region otherwise
    ax.scatter(X[:, 0], X[:, 1], c=y, s=24, cmap="Spectral", vmin=0, vmax=classes - 1, edgecolor="black", linewidth=0.5)
    ax.set(xlabel="$X_1$", ylabel="$X_2$", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
    ax.set_aspect("equal", adjustable="box")


def class_indices(model: Any, X: np.ndarray) -> np.ndarray:
    from nn_core.builtins import predicted_labels

    return predicted_labels(model.predict_proba(X))


def plot_boundary(model: Any, X: np.ndarray, y: np.ndarray, path: str, title: str | None = None) -> None:
    from nn_core.plotting import pyplot, save

    if model.task != "classification":
        raise NNError("nn plot boundary needs a classifier; this model does regression")
    if X.shape[1] != 2:
        raise NNError(f"nn plot boundary draws 2-D data; this model's data has {X.shape[1]} features")
    plt = pyplot()
    classes = max(int(model.predict_proba(X[:1]).shape[1]), 2)
    xx, yy = grid_for(X)
    zz = regions(lambda P: class_indices(model, P), xx, yy)
    fig, ax = plt.subplots(figsize=(7, 7))
    draw(ax, xx, yy, zz, X, y, classes)
    accuracy = float(np.mean(class_indices(model, X) == y))
    ax.set_title(title or f"{model.spec.name}: decision boundary (accuracy {accuracy:.1%})")
    save(fig, path)
