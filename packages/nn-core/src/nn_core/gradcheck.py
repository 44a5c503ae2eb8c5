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

Two things make a correct network look wrong to a naive check, and both are
handled here:

* **Kinks.** ReLU-family activations are not differentiable at 0. When a
  sample's pre-activation lies within the step of 0 (spirals' first point is
  exactly (0, 0), so with zero biases a first-layer unit sits on its kink),
  the central difference averages two different slopes. Such an entry is
  detected from the one-sided differences: on a smooth loss the right-minus-left
  slope grows linearly with the step, across a kink it stays (the jump). A
  detected entry is compared with the one-sided derivatives on either side,
  taken with a ten times smaller step; backprop's subgradient must equal one of
  them. The result counts these entries (``kinks``) and the CLI says so.
* **Near-zero gradients.** A parameter whose gradient is tiny compared with
  the loss (batch norm's scale in front of a nearly saturated layer) has a
  relative error dominated by the rounding of the loss. As torch's
  ``gradcheck`` does, an absolute floor applies: a parameter also passes when
  every entry differs by at most ``ATOL`` (``‖g − n‖∞``).

A deliberately wrong backward still fails: it differs from both one-sided
derivatives and by far more than the floor.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from nn_core.errors import NNError
from nn_core.experiment import Experiment

THRESHOLD = 1e-7
"""Largest relative error that passes (float64)."""

ZERO_GRADIENT = 1e-8
"""Below this in every entry, both gradients are zero to working precision."""

ATOL = 1e-9
"""Absolute floor: a parameter whose entries all agree this closely passes (torch's ``atol``, tighter)."""

KINK_TOLERANCE = 1e-7
"""A step-independent jump in slope larger than this (times max(1, |loss|)) is a kink, not curvature."""


@dataclass(frozen=True)
class GradcheckResult:
    """Relative error per named parameter and whether all are below the threshold."""

    parameters: dict[str, float]
    max_relative_error: float
    passed: bool
    threshold: float = THRESHOLD
    samples: int = 0
    eps: float = 1e-4
    absolute_errors: dict[str, float] = field(default_factory=dict)
    """‖g − n‖∞ per parameter."""
    kinks: dict[str, int] = field(default_factory=dict)
    """Entries per parameter whose central difference straddled a kink (compared one-sided instead)."""
    atol: float = ATOL
    skipped_samples: list[int] = field(default_factory=list)
    """Rows left out because they put a unit within the step of a ReLU-family kink (others replaced them)."""

    def parameter_passed(self, name: str) -> bool:
        """Relative error below the threshold, or every entry within the absolute floor."""
        return bool(self.parameters[name] < self.threshold or self.absolute_errors.get(name, np.inf) <= self.atol)

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


MAX_SAMPLE_ROUNDS = 6
"""How many times samples at a kink are swapped for others before one-sided differences take over."""


@dataclass
class _Round:
    """One pass over every checked entry, on one set of samples."""

    errors: dict[str, float]
    absolute: dict[str, float]
    kinked: dict[str, list[int]]  # parameter name -> flat indices whose stencil straddled a kink


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

    Samples that put a ReLU-family unit within the step of its kink are found
    (leave one out) and swapped for other rows of the split, drawn with the
    spec's seed; they are listed in ``skipped_samples``. Kinks that remain
    after a few swaps are compared with one-sided differences (``kinks``).
    """
    network = experiment.network
    data = experiment.splits[split]
    rows = len(data.data.y)
    count = min(samples, rows)
    if count < 1:
        raise NNError(f"gradcheck: the {split} split is empty")
    slices = parameter_slices(network)
    if sum(w.stop - w.start for w in slices.values()) != network.get_flat().size:
        raise NNError("gradcheck: the network's parameter_shapes() do not add up to get_flat()'s length")
    rng = np.random.default_rng([experiment.spec.seed, 3])
    chosen = {
        name: (
            np.sort(rng.choice(np.arange(w.start, w.stop), size=max_entries, replace=False))
            if max_entries is not None and w.stop - w.start > max_entries
            else np.arange(w.start, w.stop)
        )
        for name, w in slices.items()
    }
    index = np.arange(count)
    skipped: list[int] = []
    draw = np.random.default_rng([experiment.spec.seed, 4])
    with _frozen_randomness(network):
        theta = np.array(network.get_flat(), dtype=np.float64, copy=True)
        for _ in range(MAX_SAMPLE_ROUNDS):
            outcome = _check_round(network, data, index, theta, chosen, eps, one_sided=False)
            if not outcome.kinked:
                break
            culprits = _kink_culprits(network, data, index, theta, outcome.kinked, eps)
            unused = np.setdiff1d(np.arange(rows), np.concatenate([index, np.asarray(skipped, dtype=np.int64)]))
            if not culprits or unused.size < len(culprits):
                break
            skipped.extend(int(i) for i in culprits)
            keep = index[~np.isin(index, culprits)]
            index = np.concatenate([keep, draw.choice(unused, size=len(culprits), replace=False)])
        if outcome.kinked:
            outcome = _check_round(network, data, index, theta, chosen, eps, one_sided=True)

    result = GradcheckResult(
        parameters=outcome.errors,
        max_relative_error=0.0,
        passed=False,
        threshold=threshold,
        samples=count,
        eps=eps,
        absolute_errors=outcome.absolute,
        kinks={name: len(js) for name, js in outcome.kinked.items()},
        skipped_samples=sorted(skipped),
    )
    values = list(outcome.errors.values())
    worst = float("nan") if any(np.isnan(values)) else max(values, default=0.0)
    passed = not np.isnan(worst) and all(result.parameter_passed(name) for name in outcome.errors)
    return replace(result, max_relative_error=worst, passed=passed)


def _losses(network: Any, data: Any, index: np.ndarray, theta: np.ndarray) -> tuple[Any, Any]:
    """(loss at θ with one entry changed, backprop gradient at θ) on the rows ``index``."""
    X = network.batch(data.X, index)
    Y = network.batch(data.Y, index)
    work = theta.copy()

    def loss_at(j: int, value: float) -> float:
        work[j] = value
        loss, _ = network.loss_and_gradient(work, X, Y)
        work[j] = theta[j]
        return float(loss)

    def gradient() -> tuple[float, np.ndarray]:
        loss, grad = network.loss_and_gradient(theta.copy(), X, Y)
        return float(loss), np.array(grad, dtype=np.float64, copy=True)

    return loss_at, gradient


def _check_round(
    network: Any,
    data: Any,
    index: np.ndarray,
    theta: np.ndarray,
    chosen: dict[str, np.ndarray],
    eps: float,
    *,
    one_sided: bool,
) -> _Round:
    loss_at, gradient = _losses(network, data, index, theta)
    # The first evaluation on these rows draws the masks the frozen layers then keep.
    loss0, analytic = gradient()
    outcome = _Round({}, {}, {})
    for name, entries in chosen.items():
        numeric = np.empty(entries.size)
        for k, j in enumerate(entries):
            # Fourth-order central difference: truncation error O(eps⁴), so eps
            # can be large enough that the loss's rounding (≈1e-16 / eps) stays
            # far below small gradients, like a tanh layer's under 0.01-scale weights.
            t = theta[j]
            f = {m: loss_at(j, t + m * eps) for m in (-2, -1, 1, 2)}
            numeric[k] = (f[-2] - 8 * f[-1] + 8 * f[1] - f[2]) / (12 * eps)
            if straddles_kink(loss0, f, eps):
                outcome.kinked.setdefault(name, []).append(int(j))
                if one_sided:
                    numeric[k] = one_sided_match(lambda v, j=j: loss_at(j, v), t, loss0, eps / 10, analytic[j])
        outcome.errors[name] = relative_error(analytic[entries], numeric)
        outcome.absolute[name] = float(np.abs(analytic[entries] - numeric).max(initial=0.0))
    return outcome


def _kink_culprits(
    network: Any, data: Any, index: np.ndarray, theta: np.ndarray, kinked: dict[str, list[int]], eps: float
) -> list[int]:
    """Rows that put a unit within the step of a kink.

    First each row on its own (a row's own loss term has the kink; this finds
    several rows kinking one entry at once); where rows interact (batch norm
    of a single row is constant), leaving one row out at a time.
    """
    entries = [j for js in kinked.values() for j in js]
    culprits = [
        int(row) for row in index if any(_kinked_on(network, data, np.array([row]), theta, j, eps) for j in entries)
    ]
    if culprits:
        return culprits
    for j in entries:
        rest = index[~np.isin(index, culprits)]
        if not _kinked_on(network, data, rest, theta, j, eps):
            continue  # explained by rows already found
        for row in rest:
            if len(rest) > 1 and not _kinked_on(network, data, rest[rest != row], theta, j, eps):
                culprits.append(int(row))
                break
        else:
            return culprits  # two rows at once (or one row left): give up swapping, go one-sided
    return culprits


def _kinked_on(network: Any, data: Any, index: np.ndarray, theta: np.ndarray, j: int, eps: float) -> bool:
    loss_at, gradient = _losses(network, data, index, theta)
    loss0, _ = gradient()
    t = theta[j]
    return straddles_kink(loss0, {m: loss_at(j, t + m * eps) for m in (-2, -1, 1, 2)}, eps)


def straddles_kink(f0: float, f: dict[int, float], eps: float) -> bool:
    """Whether the loss has a kink within ``2·eps`` of the point, from the stencil's values.

    On a smooth loss the right and left slopes differ by about ``h·f''`` for
    a step ``h``: doubling the step doubles the difference. Across a kink the
    difference is the jump in slope, whatever the step. So
    ``(R₂ − L₂) − 2(R₁ − L₁)`` is ``O(eps³)`` when smooth and ``O(jump)`` at a kink.
    """
    right1, left1 = (f[1] - f0) / eps, (f0 - f[-1]) / eps
    right2, left2 = (f[2] - f0) / (2 * eps), (f0 - f[-2]) / (2 * eps)
    jump = (right2 - left2) - 2 * (right1 - left1)
    return bool(abs(jump) > KINK_TOLERANCE * max(1.0, abs(f0)))


def one_sided_match(loss: Any, t: float, f0: float, h: float, analytic: float) -> float:
    """The one-sided derivative (second order, step h) closer to backprop's value.

    At a kink backprop returns a subgradient: the slope of one side. A kink
    exactly at the point leaves both one-sided differences clean; one slightly
    off it spoils at most the side it lies on.
    """
    right = (-3 * f0 + 4 * loss(t + h) - loss(t + 2 * h)) / (2 * h)
    left = (3 * f0 - 4 * loss(t - h) + loss(t - 2 * h)) / (2 * h)
    return right if abs(right - analytic) <= abs(left - analytic) else left
