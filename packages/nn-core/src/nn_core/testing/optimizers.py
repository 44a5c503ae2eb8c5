"""Optimizer checks on a convex quadratic f(θ) = ½ θᵀAθ − bᵀθ, A symmetric positive definite.

A step optimizer must lower f over ``STEPS`` steps from a seeded start with
its default parameters, update the flat buffer in place, honour a changed
``lr`` (schedules set it between epochs), keep float32 state for float32
parameters, and resume exactly: continuing after ``state_dict()`` →
checkpoint → ``load_state_dict()`` gives bit-identical parameters to
continuing without. A :class:`~nn_core.contracts.ClosureMinimizer` is
checked through ``minimize`` instead: it decreases the quadratic, calls its
callback every iteration, stops when the callback returns True, and returns
a :class:`~nn_core.contracts.MinimizeResult` with a one-line ``message``.

Generic over backends: a step optimizer gets one 1-D array of its backend
(``Backend.from_numpy``) as parameters, updated in place, and a fresh
backend array of gradients per step; results are read back with
``Backend.to_numpy``. ``state_dict`` must hold numpy arrays by name and
int/float scalars only (what a checkpoint stores, contract v2).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from nn_core.component import Component
from nn_core.registry import ComponentInfo, Registry
from nn_core.testing._common import SEED, Subject, call, subject

DIM = 8
"""Parameters of the test problem."""
STEPS = 100
"""Steps over which f must decrease."""
RESUME_AFTER = 20
"""Steps before the state is saved, and after it is restored."""


class Quadratic:
    """f(θ) = ½ θᵀAθ − bᵀθ with A's eigenvalues in [0.5, 2]; its gradient is Aθ − b."""

    def __init__(self, seed: int = SEED, dim: int = DIM) -> None:
        rng = np.random.default_rng(seed)
        Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
        self.A = (Q * rng.uniform(0.5, 2.0, size=dim)) @ Q.T
        self.A = (self.A + self.A.T) / 2
        self.b = rng.standard_normal(dim)
        self.start = rng.standard_normal(dim) * 2
        self.noise = rng.standard_normal((2 * RESUME_AFTER, dim))

    def value(self, theta: np.ndarray) -> float:
        t = np.asarray(theta, dtype=np.float64)
        return float(0.5 * t @ self.A @ t - self.b @ t)

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        return self.A @ np.asarray(theta, dtype=np.float64) - self.b

    def closure(self, flat: np.ndarray) -> tuple[float, np.ndarray]:
        return self.value(flat), self.gradient(flat)


def through_checkpoint(subj: Subject, state: Any) -> dict[str, Any]:
    """What a checkpoint gives back: numpy arrays copied, scalars as they are; anything else fails."""
    if not isinstance(state, dict):
        raise subj.fail(f"state_dict must return a dict, got {type(state).__name__}")
    restored: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            restored[key] = value.copy()
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            restored[key] = json.loads(json.dumps(value))
        else:
            raise subj.fail(
                f"state_dict()[{key!r}] is a {type(value).__name__}: a checkpoint stores numpy arrays by name "
                "and int/float scalars only (convert backend arrays with the backend's to_numpy)"
            )
    return restored


class _Stepper:
    """One optimizer over one backend parameter array of the quadratic.

    With ``noisy``, step t's gradient gets the fixed noise ``problem.noise[t]``,
    like a minibatch gradient: its sign then often differs from a momentum's,
    so state lost in a checkpoint shows in the parameters.
    """

    def __init__(
        self,
        subj: Subject,
        problem: Quadratic,
        dtype: Any,
        params: np.ndarray | None = None,
        *,
        noisy: bool = False,
        t: int = 0,
    ) -> None:
        self.subj, self.problem, self.noisy, self.t = subj, problem, noisy, t
        self.dtype = np.dtype(dtype)
        self.opt = subj.new()
        start = np.array(problem.start if params is None else params, dtype=self.dtype)
        self.params = subj.arrays.to_backend(start, self.dtype)
        call(subj, "setup", self.opt.setup, self.params)

    def current(self) -> np.ndarray:
        return self.subj.arrays.to_numpy(self.params).copy()

    def run(self, steps: int) -> np.ndarray:
        for _ in range(steps):
            grads = self.problem.gradient(self.current())
            if self.noisy:
                grads = grads + self.problem.noise[self.t % len(self.problem.noise)]
            self.t += 1
            call(self.subj, "step", self.opt.step, self.params, self.subj.arrays.to_backend(grads, self.dtype))
        return self.current()


def _check_step_optimizer(subj: Subject, problem: Quadratic) -> None:
    first = _Stepper(subj, problem, np.float64)
    f0 = problem.value(first.current())
    final = first.run(STEPS)
    f1 = problem.value(final)
    if not np.isfinite(final).all():
        raise subj.fail(f"produced non-finite parameters within {STEPS} steps on a convex quadratic")
    if not f1 < f0:
        raise subj.fail(
            f"did not decrease a convex quadratic in {STEPS} steps with its default parameters: "
            f"f went from {f0:.6g} to {f1:.6g} (step must update `params` in place, against the gradient)"
        )

    if not np.array_equal(final, _Stepper(subj, problem, np.float64).run(STEPS)):
        raise subj.fail("is not deterministic: two runs from the same start gave different parameters")

    # Resume: state after RESUME_AFTER (noisy) steps, saved, restored into a fresh optimizer.
    original = _Stepper(subj, problem, np.float64, noisy=True)
    original.run(RESUME_AFTER)
    saved = through_checkpoint(subj, call(subj, "state_dict", original.opt.state_dict))
    at_save = original.current()
    continued = original.run(RESUME_AFTER)
    resumed = _Stepper(subj, problem, np.float64, at_save, noisy=True, t=RESUME_AFTER)
    call(subj, "load_state_dict", resumed.opt.load_state_dict, saved)
    after_reload = resumed.run(RESUME_AFTER)
    hint = (
        f"state_dict must hold all of its state (it saved {sorted(saved) or 'nothing'}), and load_state_dict restore it"
    )
    if not np.array_equal(continued, after_reload):
        gap = float(np.max(np.abs(continued - after_reload)))
        raise subj.fail(
            f"continuing after state_dict()/load_state_dict() differs from continuing without "
            f"(parameters differ by up to {gap:.3g} after {RESUME_AFTER} more steps): {hint}"
        )
    final_states = [through_checkpoint(subj, s.opt.state_dict()) for s in (original, resumed)]
    if not _same_state(*final_states):
        raise subj.fail(
            f"continuing after state_dict()/load_state_dict() ends in a different state_dict() than "
            f"continuing without: {hint}"
        )

    lr = getattr(original.opt, "lr", None)
    if not isinstance(lr, (int, float)) or isinstance(lr, bool) or not lr > 0:
        raise subj.fail(f"has lr {lr!r}; a StepOptimizer has a positive `lr` that schedules set between epochs")
    full, half = _Stepper(subj, problem, np.float64), _Stepper(subj, problem, np.float64)
    half.opt.lr = lr / 2
    if np.array_equal(full.run(1), half.run(1)):
        raise subj.fail(
            "ignores changes to its `lr` attribute, which schedules set between epochs: "
            "halving it did not change the step"
        )

    low = _Stepper(subj, problem, np.float32)
    result = low.run(RESUME_AFTER)
    if not np.isfinite(result).all():
        raise subj.fail("produced non-finite float32 parameters")
    for key, value in call(subj, "state_dict", low.opt.state_dict).items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype != np.float32:
            raise subj.fail(
                f"keeps its state {key!r} in {value.dtype} for float32 parameters (float32 must stay float32)"
            )


def _same_state(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if set(a) != set(b):
        return False
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and np.array_equal(x, y)):
                return False
        elif x != y:
            return False
    return True


def _check_closure_minimizer(subj: Subject, problem: Quadratic) -> None:
    from nn_core.contracts import MinimizeResult

    def solve(stop_after: int | None = None) -> tuple[MinimizeResult, int]:
        calls: list[np.ndarray] = []

        def callback(flat: np.ndarray) -> bool:
            if not isinstance(flat, np.ndarray) or flat.dtype != np.float64:
                raise subj.fail(f"minimize's callback got {type(flat).__name__}, not a float64 numpy vector")
            calls.append(flat.copy())
            return stop_after is not None and len(calls) >= stop_after

        fun: Callable[[np.ndarray], tuple[float, np.ndarray]] = problem.closure
        result = call(subj, "minimize", subj.new().minimize, fun, problem.start.copy(), callback)
        if not isinstance(result, MinimizeResult):
            raise subj.fail(f"minimize returned {type(result).__name__}, not nn_core.contracts.MinimizeResult")
        if not isinstance(result.message, str) or not result.message or "\n" in result.message:
            raise subj.fail(f"MinimizeResult.message must be one line saying why it stopped, got {result.message!r}")
        return result, len(calls)

    result, iterations = solve()
    x = np.asarray(result.x, dtype=np.float64)
    if x.shape != problem.start.shape:
        raise subj.fail(f"minimize returned x of shape {x.shape}, expected {problem.start.shape}")
    f0, f1 = problem.value(problem.start), problem.value(x)
    if not f1 < f0:
        raise subj.fail(f"minimize did not decrease a convex quadratic: f went from {f0:.6g} to {f1:.6g}")
    if iterations < 1:
        raise subj.fail("minimize never called its callback (the loop counts iterations as epochs through it)")
    if not np.array_equal(x, solve()[0].x):
        raise subj.fail("is not deterministic: two runs of minimize from the same start differ")
    if iterations > 2:
        stopped, count = solve(stop_after=2)
        if count != 2:
            raise subj.fail(
                f"kept iterating after its callback returned True (called {count} times, asked to stop at 2)"
            )
        if stopped.converged:
            raise subj.fail("reports converged=True when its callback stopped it")


def check_optimizer(
    component: type[Component] | ComponentInfo, /, *, registry: Registry | None = None, **params: Any
) -> None:
    """Convergence, determinism, exact resumption and float32 state of an optimizer (see module doc)."""
    from nn_core.contracts import ClosureMinimizer, StepOptimizer

    subj = subject(component, registry, params, "optimizer")
    problem = Quadratic()
    if issubclass(subj.cls, ClosureMinimizer):
        _check_closure_minimizer(subj, problem)
    elif issubclass(subj.cls, StepOptimizer):
        _check_step_optimizer(subj, problem)
    else:
        raise subj.fail("derives from neither nn_core.contracts.StepOptimizer nor ClosureMinimizer (contract v2)")
