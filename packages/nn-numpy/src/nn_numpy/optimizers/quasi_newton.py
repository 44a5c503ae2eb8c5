"""Full-batch quasi-Newton methods through ``scipy.optimize.minimize``: closure minimizers.

These do not take steps: the training loop hands them a closure
``fun(flat) -> (loss, flat_grad)`` over float64 numpy vectors (``jac=True``)
and a callback that counts each iteration as an epoch, logs, runs per-epoch
hooks and returns True to stop. Being numpy-only at that boundary, they work
with every backend (``backend = None``). Welch Labs' tutorial (001) trains its
2-3-1 net exactly this way with BFGS. They have no learning rate, so
schedules do not apply. Their curvature estimate lives inside scipy: a
checkpoint cannot resume it (a resumed run restarts the estimate from the
identity). scipy is imported on first use, keeping the plugin cheap to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, cast

import numpy as np

from nn_core.contracts import ClosureMinimizer, MinimizeResult

_MAX_ITER = {"type": "integer", "minimum": 1, "default": 200, "description": "most iterations scipy may take"}
_TOL = {
    "type": "number",
    "exclusiveMinimum": 0,
    "default": 1e-5,
    "description": "stop when the gradient's largest entry is below tol (scipy's gtol)",
}


class _Stop(Exception):
    """Raised from scipy's callback when the training loop asks to stop."""


class QuasiNewton(ClosureMinimizer):
    backend: ClassVar[str | None] = None
    method: ClassVar[str] = ""

    def __init__(self, *, max_iter: int = 200, tol: float = 1e-5) -> None:
        self.max_iter, self.tol = max_iter, tol

    def options(self) -> dict[str, Any]:
        return {"maxiter": self.max_iter, "gtol": self.tol}

    def minimize(
        self,
        fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
        x0: np.ndarray,
        callback: Callable[[np.ndarray], bool],
    ) -> MinimizeResult:
        from scipy.optimize import minimize

        last = {"x": np.asarray(x0, dtype=np.float64), "iterations": 0}

        def each_iteration(xk: np.ndarray) -> None:
            last["x"] = np.array(xk, dtype=np.float64, copy=True)
            last["iterations"] = int(last["iterations"]) + 1  # type: ignore[call-overload]
            if callback(last["x"]):  # type: ignore[arg-type]
                raise _Stop

        solve = cast(Callable[..., Any], minimize)  # scipy's overloads cannot see jac=True's tuple
        try:
            result = solve(
                fun,
                np.asarray(x0, dtype=np.float64),
                jac=True,
                method=self.method,
                callback=each_iteration,
                options=self.options(),
            )
        except _Stop:
            iterations = int(last["iterations"])  # type: ignore[call-overload]
            return MinimizeResult(
                np.asarray(last["x"]), iterations, False, f"stopped by the training loop after {iterations} iterations"
            )
        return MinimizeResult(np.asarray(result.x), int(result.nit), bool(result.success), self._why(result))

    def _why(self, result: Any) -> str:
        """One line: why scipy stopped, with the figures that decided it."""
        grad = np.asarray(getattr(result, "jac", np.zeros(0)), dtype=np.float64)
        largest = float(np.abs(grad).max(initial=0.0))
        iterations = int(result.nit)
        if result.success and largest <= self.tol:
            return (
                f"converged: gradient norm {largest:.1e} below tolerance {self.tol:g} after {iterations} iterations"
                f" ({self.max_iter} allowed)"
            )
        if result.success and "REL_REDUCTION" in str(result.message):
            return (
                f"converged: the loss stopped decreasing (relative change below scipy's ftol) after {iterations} "
                f"iterations; gradient norm {largest:.1e}"
            )
        if result.success:
            return f"converged: {str(result.message).rstrip('.').lower()} after {iterations} iterations"
        if iterations >= self.max_iter:
            return f"not converged: iteration limit ({self.max_iter}) reached; gradient norm {largest:.1e}"
        return f"not converged after {iterations} iterations: {str(result.message).rstrip('.')}"


class BFGS(QuasiNewton):
    """BFGS: full-batch quasi-Newton with a dense inverse-Hessian estimate (small nets; tutorial 001)."""

    name: ClassVar[str] = "bfgs"
    method = "BFGS"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"max_iter": _MAX_ITER, "tol": _TOL},
    }


class LBFGS(QuasiNewton):
    """L-BFGS: full-batch quasi-Newton keeping only the last `memory` updates (scipy's L-BFGS-B)."""

    name: ClassVar[str] = "lbfgs"
    method = "L-BFGS-B"
    params_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "max_iter": _MAX_ITER,
            "tol": _TOL,
            "memory": {
                "type": "integer",
                "minimum": 1,
                "default": 10,
                "description": "correction pairs kept",
            },
        },
    }

    def __init__(self, *, max_iter: int = 200, tol: float = 1e-5, memory: int = 10) -> None:
        super().__init__(max_iter=max_iter, tol=tol)
        self.memory = memory

    def options(self) -> dict[str, Any]:
        return {**super().options(), "maxcor": self.memory}
