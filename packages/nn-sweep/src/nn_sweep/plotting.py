"""``nn plot sweep``: the objective against each swept parameter, one panel per parameter.

Each finished trial is a dot (its mean over folds, with a bar of one
standard deviation when the sweep cross-validated); the best trial is
ringed. Numeric parameters get a numeric axis (logarithmic when their values
span more than two decades), others one tick per value.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from nn_core.errors import NNError
from nn_sweep.report import summarize
from nn_sweep.trials import read_description, read_records


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def plot_sweep(directory: Path, output: str) -> None:
    from nn_core.plotting import pyplot, save

    description = read_description(directory)
    metric, mode = description["objective"]["metric"], description["objective"]["mode"]
    rows = [r for r in summarize(read_records(directory), metric, mode) if "objective" in r]
    if not rows:
        raise NNError(f"{directory} has no finished trial to plot")
    params = list(description.get("params") or sorted({p for r in rows for p in r["overrides"]}))
    plt = pyplot()
    columns = min(3, len(params))
    lines = math.ceil(len(params) / columns)
    fig, axes = plt.subplots(lines, columns, figsize=(4.2 * columns, 3.6 * lines), squeeze=False)
    best = rows[0]
    for ax, param in zip(axes.ravel(), params, strict=False):
        values = [r["overrides"].get(param) for r in rows]
        ys = [r["objective"] for r in rows]
        sds = [r["objective_sd"] for r in rows]
        if _numeric(values):
            xs = [float(v) for v in values]
            positive = [x for x in xs if x > 0]
            if len(positive) == len(xs) and max(xs) / min(xs) > 100:
                ax.set_xscale("log")
        else:
            labels = sorted({str(v) for v in values})
            xs = [float(labels.index(str(v))) for v in values]
            ax.set_xticks(range(len(labels)), labels)
        if any(sd > 0 for sd in sds):
            ax.errorbar(xs, ys, yerr=sds, fmt="none", ecolor="0.6", elinewidth=1, capsize=2)
        ax.scatter(xs, ys, s=26, color="tab:blue", edgecolor="black", linewidth=0.4, zorder=3)
        best_x = xs[rows.index(best)]
        ax.scatter([best_x], [best["objective"]], s=140, facecolor="none", edgecolor="tab:red", linewidth=1.6, zorder=4)
        ax.set(xlabel=param, ylabel=metric)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(params) :]:
        ax.set_visible(False)
    folds = description.get("folds")
    cv = f", mean ± sd over {folds} folds" if folds else ""
    fig.suptitle(f"{Path(description.get('sweep', str(directory))).name}: {metric} ({mode}imize{cv}); best ringed")
    fig.tight_layout()
    save(fig, output)
