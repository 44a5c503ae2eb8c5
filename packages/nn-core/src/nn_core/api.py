"""The Python API: the same steps the CLI takes, for notebooks and scripts."""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from nn_core.training import Run


def _version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def model_metadata(run: Run) -> dict[str, Any]:
    """What a model file records besides its weights."""
    experiment = run.experiment
    spec = experiment.spec
    providers = {}
    for info in experiment.registry.all():
        providers.setdefault(info.distribution, info.version)
    return {
        "spec": spec.document,
        "seed": spec.seed,
        "classes": list(experiment.classes) if experiment.classes else None,
        "input_dim": int(experiment.splits["train"].data.X.shape[1]),
        "metrics": run.final_metrics,
        "history": run.history,
        "epochs": run.epoch,
        "versions": {"nn-core": _version("nn-core"), "numpy": np.__version__, **providers},
        "platform": platform.platform(),
    }
