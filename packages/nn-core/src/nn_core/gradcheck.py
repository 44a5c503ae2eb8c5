"""Gradient checking: backpropagation against fourth-order central differences.

For every named parameter, the gradient the network computes is compared
with ``(f(θ − 2ε) − 8f(θ − ε) + 8f(θ + ε) − f(θ + 2ε)) / 12ε`` entry by entry
(ε = 1e-4), on the first few training
samples, and summarized as Welch Labs' (tutorial 001) relative error
``‖g − n‖ / ‖g + n‖``. A correct float64 implementation gives about 1e-8 or
less; a wrong derivative gives something near 1.

Backend-agnostic: only the :class:`~nn_core.contracts.Network` protocol's
quasi-Newton boundary is used (``parameter_shapes``, ``get_flat``,
``loss_and_gradient``: float64 numpy vectors), plus ``batch``,
``state_arrays``/``load_state_arrays`` and ``rng_state``/``set_rng_state``:

* a layer with random behaviour in training (dropout) implements
  :class:`~nn_core.contracts.Stochastic`; ``freeze(True)`` makes it reuse its
  random draws, so the training loss is a deterministic function of the
  parameters. The check freezes every such layer and unfreezes it after;
* every parameter and buffer (batch norm's running statistics, which a
  training forward updates) is restored afterwards from ``state_arrays``, as
  are the layers' random generators (so a check never changes the masks a
  later training run draws).

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
    """Where each named parameter lives in ``get_flat()``'s vector (``parameter_shapes`` order)."""
    slices: dict[str, slice] = {}
    offset = 0
    for name, shape in network.parameter_shapes().items():
        size = int(np.prod(shape, dtype=np.int64))
        slices[name] = slice(offset, offset + size)
        offset += size
    return slices


@contextmanager
def _frozen_randomness(network: Any) -> Iterator[None]:
    """Freeze layers with random training behaviour; restore params, buffers and generators after."""
    from nn_core.contracts import Stochastic

    frozen = [layer for layer in getattr(network, "layers", ()) if isinstance(layer, Stochastic)]
    saved = network.state_arrays()
    rng_state = network.rng_state()
    for layer in frozen:
        layer.freeze(True)
    try:
        yield
    finally:
        for layer in frozen:
            layer.freeze(False)
        network.load_state_arrays(saved)
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
    if sum(w.stop - w.start for w in slices.values()) != network.get_flat().size:
        raise NNError("gradcheck: the network's parameter_shapes() do not add up to get_flat()'s length")
    rng = np.random.default_rng([experiment.spec.seed, 3])

    errors: dict[str, float] = {}
    with _frozen_randomness(network):
        theta = np.array(network.get_flat(), dtype=np.float64, copy=True)
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
