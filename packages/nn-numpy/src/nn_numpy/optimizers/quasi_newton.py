"""Full-batch quasi-Newton methods through ``scipy.optimize.minimize``.

These do not take steps: the training loop hands them a closure
``fun(flat) -> (loss, flat_grad)`` (``jac=True``) and a callback that counts
each iteration as an epoch, logs, and raises to stop at ``training.epochs``.
Welch Labs' tutorial (001) trains its 2-3-1 net exactly this way with BFGS.
They have no learning rate, so schedules do not apply. Their curvature
estimate lives inside scipy: a checkpoint cannot resume it (``state_dict``
is empty; a resumed run restarts the estimate from the identity).
scipy is imported on first use, keeping the plugin cheap to import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, cast

import numpy as np

from nn_core.contracts import Optimizer
from nn_core.errors import TrainingError

_MAX_ITER = {"type": "integer", "minimum": 1, "default": 200, "description": "most iterations scipy may take"}
_TOL = {
    "type": "number",
    "exclusiveMinimum": 0,
    "default": 1e-5,
    "description": "stop when the gradient's largest entry is below tol (scipy's gtol)",
}


class QuasiNewton(Optimizer):
    backend: ClassVar[str] = "numpy"
    full_batch: ClassVar[bool] = True
    method: ClassVar[str] = ""

    def __init__(self, *, max_iter: int = 200, tol: float = 1e-5) -> None:
        self.max_iter, self.tol = max_iter, tol
        self.result: Any = None

    def options(self) -> dict[str, Any]:
        return {"maxiter": self.max_iter, "gtol": self.tol}

    def minimize(
        self,
        fun: Callable[[np.ndarray], tuple[float, np.ndarray]],
        x0: np.ndarray,
        callback: Callable[[np.ndarray], None],
    ) -> np.ndarray:
        from scipy.optimize import minimize

        solve = cast(Callable[..., Any], minimize)  # scipy's overloads cannot see jac=True's tuple
        self.result = solve(
            fun,
            np.asarray(x0, dtype=np.float64),
            jac=True,
            method=self.method,
            callback=callback,
            options=self.options(),
        )
        return np.asarray(self.result.x)

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        raise TrainingError(
            f"{self.name} is a full-batch optimizer: it minimizes a closure (Optimizer.minimize), not step by step"
        )


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
