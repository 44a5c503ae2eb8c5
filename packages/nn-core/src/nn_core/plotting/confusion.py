"""Confusion matrices of a saved model, one per split, counts written in the cells.

Cell colours are row-normalized (the share of each true class predicted as
each class), so a small class's mistakes are as visible as a large one's;
the numbers are the counts.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def plot_confusion(model: Any, results: dict[str, Any], path: str) -> None:
    """``results`` is :func:`nn_core.evaluation.evaluate_model`'s output."""
    from nn_core.plotting import pyplot, save

    splits = [name for name, scores in results.items() if "confusion_matrix" in scores]
    plt = pyplot()
    first = np.asarray(results[splits[0]]["confusion_matrix"])
    classes = first.shape[0]
    names = list(model.classes) if model.classes else [str(k) for k in range(classes)]
    side = min(max(4.2, 0.45 * classes + 2.2), 9.0)
    fig, axes = plt.subplots(1, len(splits), figsize=(side * len(splits), side), squeeze=False, layout="constrained")
    for ax, split in zip(axes[0], splits, strict=True):
        counts = np.asarray(results[split]["confusion_matrix"])
        totals = counts.sum(axis=1, keepdims=True)
        shares = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
        ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for i in range(classes):
            for j in range(classes):
                ax.text(
                    j,
                    i,
                    f"{counts[i, j]:,}",
                    ha="center",
                    va="center",
                    fontsize="small" if classes <= 12 else "x-small",
                    color="white" if shares[i, j] > 0.5 else "black",
                )
        ax.set_xticks(range(classes), names, rotation=45 if max(len(n) for n in names) > 3 else 0)
        ax.set_yticks(range(classes), names)
        accuracy = np.trace(counts) / max(counts.sum(), 1)
        ax.set(
            xlabel="predicted class",
            ylabel="true class",
            title=f"{split}: {counts.sum():,} samples, accuracy {accuracy:.1%}",
        )
    fig.suptitle(f"{model.spec.name}: confusion matrix (colour: share of the true class)")
    save(fig, path)
