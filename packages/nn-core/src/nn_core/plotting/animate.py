"""The decision boundary evolving during training (tutorial 004's animation).

A callback on ``nn_epoch_end`` records the predicted regions every K epochs;
the frames are then written as a GIF (Pillow, which matplotlib brings) or an
MP4 (needs ffmpeg on PATH).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import numpy as np

from nn_core.errors import NNError
from nn_core.hookspecs import hookimpl
from nn_core.outputs import atomic_path
from nn_core.plotting.boundary import draw, figure_size, grid_for, regions


class FrameRecorder:
    """Keeps the predicted class regions every ``every`` epochs."""

    def __init__(self, every: int, xx: np.ndarray, yy: np.ndarray) -> None:
        self.every, self.xx, self.yy = every, xx, yy
        self.frames: list[tuple[int, np.ndarray, float]] = []

    def record(self, run: Any, epoch: int) -> None:
        from nn_core.builtins import predicted_labels

        experiment = run.experiment
        network, scaler = experiment.network, experiment.scaler
        zz = regions(
            lambda P: predicted_labels(network.predict_proba(network.to_backend(scaler.transform(P)))), self.xx, self.yy
        )
        loss = network.loss(experiment.splits["train"].X, experiment.splits["train"].Y)
        self.frames.append((epoch, zz, loss))

    @hookimpl
    def nn_train_start(self, run: Any) -> None:
        self.record(run, run.epoch)

    @hookimpl
    def nn_epoch_end(self, run: Any, epoch: int, metrics: Any) -> None:
        if epoch % self.every == 0:
            self.record(run, epoch)


def animate(spec: Any, plugins: Any, path: str, every: int, fps: int = 8) -> int:
    """Train ``spec``, drawing a frame every ``every`` epochs; returns the frame count."""
    from nn_core.experiment import build, load_data
    from nn_core.plotting import pyplot
    from nn_core.plugins import register_callback
    from nn_core.training import train

    registry = plugins.registry

    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".gif", ".mp4"):
        raise NNError(f"nn animate writes .gif or .mp4, not {suffix or 'no suffix'!r}")
    if suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise NNError("writing .mp4 needs ffmpeg on PATH (e.g. apt-get install ffmpeg); .gif needs nothing more")
    plt = pyplot()
    from matplotlib import animation

    data = load_data(spec, registry)
    if data.X.shape[1] != 2:
        raise NNError(f"nn animate draws 2-D data; this spec's data has {data.X.shape[1]} features")
    experiment = build(spec, registry, data=data)
    if experiment.task != "classification":
        raise NNError("nn animate needs a classifier; this spec does regression")
    xx, yy = grid_for(data.X, steps=160)
    recorder = FrameRecorder(every, xx, yy)
    pm = plugins.pm
    register_callback(pm, recorder, "nn-core")
    try:
        train(experiment, plugins=plugins)
    finally:
        pm.unregister(recorder)
    network = experiment.network
    first = network.batch(experiment.splits["train"].X, np.arange(1))
    classes = max(int(network.predict_proba(first).shape[1]), 2)
    from nn_core.splits import split_data

    parts = split_data(data, spec.data.split.dev, spec.data.split.test, spec.seed)  # as training split it
    points = {name: (part.X, part.y) for name, part in parts.items()}
    # A figure shaped like the data, laid out once: frames fill it edge to edge, no empty bands.
    fig, ax = plt.subplots(figsize=figure_size(xx, yy, longest=6.0), layout="constrained")

    def frame(i: int) -> list[Any]:
        epoch, zz, loss = recorder.frames[i]
        ax.clear()
        draw(ax, xx, yy, zz, points, classes, list(data.classes) if data.classes else None)
        ax.set_title(f"{spec.name}: epoch {epoch}, train loss {loss:.4f}")
        return []

    movie = animation.FuncAnimation(fig, frame, frames=len(recorder.frames), blit=False)
    writer = animation.PillowWriter(fps=fps) if suffix == ".gif" else animation.FFMpegWriter(fps=fps)
    try:
        with atomic_path(path, suffix=suffix) as tmp:  # the writer picks its format from the name
            movie.save(str(tmp), writer=writer)
    except OSError as exc:
        raise NNError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return len(recorder.frames)
