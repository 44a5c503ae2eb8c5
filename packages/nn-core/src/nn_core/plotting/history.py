"""Loss and metrics per logged epoch, train and dev: tutorial 002's cost curves."""

from __future__ import annotations

from typing import Any

from nn_core.errors import NNError


def epoch_label(epoch: float, last_epoch: int) -> str:
    """``17500`` → ``17.5k`` on an axis reaching 10,000 or more: short labels that never run into each other."""
    if last_epoch >= 10_000:
        return f"{epoch / 1000:g}k" if epoch else "0"
    return f"{epoch:g}"


def epoch_ticks(ax: Any, last_epoch: int) -> None:
    """At most five integer epoch ticks, labelled briefly (``10k 12.5k 15k``)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True, min_n_ticks=2))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: epoch_label(value, last_epoch)))


def plot_history(history: list[dict[str, Any]], path: str, title: str = "") -> None:
    from nn_core.plotting import pyplot, save

    if not history:
        raise NNError("the model has no training history to plot")
    order = {"train": 0, "dev": 1, "test": 2}
    splits = sorted((k for k in history[0] if k != "epoch"), key=lambda k: order.get(k, 3))
    metrics = sorted({m for row in history for s in splits for m in row.get(s, {})}, key=lambda m: (m != "loss", m))
    plt = pyplot()
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4), squeeze=False, layout="constrained")
    epochs = [row["epoch"] for row in history]
    for ax, metric in zip(axes[0], metrics, strict=True):
        for split in splits:
            values = [row[split].get(metric) for row in history]
            if all(v is not None for v in values):
                ax.plot(epochs, values, marker="o" if len(epochs) < 30 else None, markersize=3, label=split)
        ax.set(xlabel="epoch", ylabel=metric, title=metric)
        epoch_ticks(ax, max(epochs))
        if metric == "loss" and all(row[s]["loss"] > 0 for row in history for s in splits):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    save(fig, path)
