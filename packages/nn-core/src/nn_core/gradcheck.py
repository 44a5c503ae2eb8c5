"""Gradient checking: backpropagation against fourth-order central differences.

For every named parameter, the gradient the network computes is compared
with ``(f(θ − 2ε) − 8f(θ − ε) + 8f(θ + ε) − f(θ + 2ε)) / 12ε`` entry by entry
(ε = 1e-4), on the first few training
samples, and summarized as Welch Labs' (tutorial 001) relative error
``‖g − n‖ / ‖g + n‖``. A correct float64 implementation gives about 1e-8 or
less; a wrong derivative gives something near 1.

Backend-agnostic: only the :class:`~nn_core.contracts.Network` protocol is
used (``parameters``, ``flat_params``, ``batch``, ``loss_and_gradient``), plus
two optional conventions:

* a layer with random behaviour in training (dropout) exposes
  ``freeze(frozen: bool)``; while frozen it reuses its random draws, so the
  training loss is a deterministic function of the parameters. The check
  freezes every such layer in ``network.layers`` and unfreezes it after;
* non-trained layer state (batch norm's running statistics) that a training
  forward updates is exposed as ``network.buffers`` (name → array) and
  restored afterwards, as are the parameters and, where the network has
  ``rng_state()``/``set_rng_state()``, its layers' random generators (so a
  check never changes the masks a later training run draws).

Run it in float64: in float32 the rounding of the loss alone gives relative
errors around 1e-3 and the check is meaningless.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from nn_core.errors import NNError
from nn_core.experiment import Experiment

THRESHOLD = 1e-7
"""Largest relative error that passes (float64)."""

ZERO_GRADIENT = 1e-8
"""Below this in every entry, both gradients are zero to working precision."""


@dataclass(frozen=True)
class GradcheckResult:
    """Relative error per named parameter and whether all are below the threshold."""

    parameters: dict[str, float]
    max_relative_error: float
    passed: bool
    threshold: float = THRESHOLD
    samples: int = 0
    eps: float = 1e-4

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        """The result as a JSON object (``nn gradcheck --json``)."""
        return json.dumps(self.as_dict(), sort_keys=True)


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖g − n‖ / ‖g + n‖, or the absolute ‖g − n‖ when both gradients vanish.

    A parameter with no influence on the loss (a dense bias right before batch
    normalization) has g = 0 exactly and n at rounding-noise level; the ratio
    of two noises says nothing, the absolute difference does.
    """
    diff = float(np.linalg.norm(analytic - numeric))
    if max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0)) < ZERO_GRADIENT:
        return diff
    return diff / float(np.linalg.norm(analytic + numeric))


def parameter_slices(network: Any) -> dict[str, slice]:
    """Where each named parameter lives in ``flat_params``, found by probing.

    The flat buffer is filled with 0, 1, 2, ... for a moment and each view is
    read back: this finds the layout without assuming anything about the
    backend's order, and checks that every view is a contiguous slice.
    """
    flat = network.flat_params
    saved = np.array(flat, dtype=np.float64, copy=True)
    if saved.size >= 2**24 and np.asarray(flat).dtype != np.float64:
        raise NNError("gradcheck: too many parameters to probe in float32; use dtype float64")
    slices: dict[str, slice] = {}
    try:
        flat[...] = np.arange(saved.size, dtype=np.float64)
        for name, view in network.parameters.items():
            entries = np.asarray(view, dtype=np.float64).reshape(-1)
            if entries.size == 0:
                slices[name] = slice(0, 0)
                continue
            start = int(entries[0])
            if not np.array_equal(entries, np.arange(start, start + entries.size)):
                raise NNError(f"gradcheck: parameter {name!r} is not a contiguous slice of flat_params")
            slices[name] = slice(start, start + entries.size)
    finally:
        flat[...] = saved
    return slices


@contextmanager
def _frozen_randomness(network: Any) -> Iterator[None]:
    """Freeze layers with random training behaviour; restore params and buffers after."""
    frozen = [layer for layer in getattr(network, "layers", ()) if callable(getattr(layer, "freeze", None))]
    params = np.array(network.flat_params, copy=True)
    current = dict(getattr(network, "buffers", {}))
    buffers = {name: np.array(array, copy=True) for name, array in current.items()}
    rng_state = network.rng_state() if callable(getattr(network, "rng_state", None)) else None
    for layer in frozen:
        layer.freeze(True)
    try:
        yield
    finally:
        for layer in frozen:
            layer.freeze(False)
        network.flat_params[...] = params
        live = dict(getattr(network, "buffers", {}))
        for name, saved in buffers.items():
            live[name][...] = saved
        if rng_state is not None:
            network.set_rng_state(rng_state)


def check_gradients(
    experiment: Experiment,
    samples: int = 8,
    eps: float = 1e-4,
    *,
    threshold: float = THRESHOLD,
    max_entries: int | None = None,
    split: str = "train",
) -> GradcheckResult:
    """Compare backprop with central differences for every parameter of ``experiment``.

    Uses the first ``samples`` rows of ``split``. The loss is what training
    minimizes: data loss plus weight penalties, layers in training mode
    (batch statistics, dropout masks held fixed). ``max_entries`` checks at
    most that many entries of each parameter, chosen with the spec's seed,
    for networks too big to check whole. The network is left as it was.
    """
    network = experiment.network
    data = experiment.splits[split]
    count = min(samples, len(data.data.y))
    if count < 1:
        raise NNError(f"gradcheck: the {split} split is empty")
    index = np.arange(count)
    X = network.batch(data.X, index)
    Y = network.batch(data.Y, index)
    slices = parameter_slices(network)
    rng = np.random.default_rng([experiment.spec.seed, 3])

    errors: dict[str, float] = {}
    with _frozen_randomness(network):
        theta = np.array(network.flat_params, dtype=np.float64, copy=True)
        # The first evaluation draws the masks the frozen layers then keep.
        _, grad = network.loss_and_gradient(theta.copy(), X, Y)
        analytic = np.array(grad, dtype=np.float64, copy=True)
        work = theta.copy()

        def loss_at(j: int, value: float) -> float:
            work[j] = value
            loss, _ = network.loss_and_gradient(work, X, Y)
            work[j] = theta[j]
            return float(loss)

        for name, where in slices.items():
            entries = np.arange(where.start, where.stop)
            if max_entries is not None and entries.size > max_entries:
                entries = np.sort(rng.choice(entries, size=max_entries, replace=False))
            numeric = np.empty(entries.size)
            for k, j in enumerate(entries):
                # Fourth-order central difference: truncation error O(eps⁴), so eps
                # can be large enough that the loss's rounding (≈1e-16 / eps) stays
                # far below small gradients, like a tanh layer's under 0.01-scale weights.
                t = theta[j]
                numeric[k] = (
                    loss_at(j, t - 2 * eps)
                    - 8 * loss_at(j, t - eps)
                    + 8 * loss_at(j, t + eps)
                    - loss_at(j, t + 2 * eps)
                ) / (12 * eps)
            errors[name] = relative_error(analytic[entries], numeric)

    values = list(errors.values())
    worst = float("nan") if any(np.isnan(values)) else max(values, default=0.0)
    return GradcheckResult(
        parameters=errors,
        max_relative_error=worst,
        passed=bool(worst < threshold),
        threshold=threshold,
        samples=count,
        eps=eps,
    )
