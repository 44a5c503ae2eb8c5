"""Where one training step's time goes, phase by phase, for each of nn-numpy's kernel sets.

    python benchmarks/profile_step.py                          # Fashion-MNIST's net, batch 128
    python benchmarks/profile_step.py --widths 784,128,10 --batch 64

A relu/softmax net with adam (the benchmark's ``mlp_spec``) trains on random
inputs; the network's own methods (each layer's forward and backward, the kernel
set's bias + activation and activation derivative, the loss gradient, the
optimizer step, the batch gather) are wrapped with timers, so this measures
the code that runs, not a copy of it. A layer's forward minus its bias +
activation is its GEMM (``X Wᵀ``); its backward minus the derivative is its
GEMMs (``dZᵀ X``, ``dZ W``) and the bias gradient. Each figure is from the
fastest of ``--repeat`` epochs, with the kernel sets' epochs alternating so
a busy machine slows both alike. Timers cost about 0.2 µs each.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import mlp_spec, nn_experiment  # noqa: E402


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class Timers:
    """Seconds per phase, summed over an epoch."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, owner: Any, method: str, phase: str) -> None:
        """Replace ``owner.method`` (on the instance) with a timed call."""
        inner: Callable[..., Any] = getattr(owner, method)
        seconds = self.seconds

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                seconds[phase] += time.perf_counter() - started

        setattr(owner, method, timed)


class Profiled:
    """One kernel set's network with its methods timed, and the epoch that drives it."""

    def __init__(self, kernels: str, widths: list[int], batch: int, steps: int, dtype: str) -> None:
        os.environ["NN_KERNELS"] = kernels
        rng = np.random.default_rng(0)
        X = rng.random((batch * steps, widths[0]))
        y = rng.integers(0, widths[-1], len(X))
        experiment = nn_experiment(mlp_spec(widths, 1, batch, dtype), X, y)
        self.network, self.optimizer = experiment.network, experiment.optimizer
        assert self.network.kernels.name == kernels, self.network.kernels.name
        self.X, self.Y = self.network.to_backend(X), self.network.prepare_targets(y)
        self.order = np.array_split(rng.permutation(len(X)), steps)
        self.timers = Timers()
        self.phases: list[str] = []
        net, t = self.network, self.timers
        # Each set is one object per process, profiled here once: its methods are timed in place.
        t.wrap(net.kernels, "bias_activation", "bias + activation")
        t.wrap(net.kernels, "activation_backward", "activation derivative")
        for i, layer in enumerate(net.layers):
            name = getattr(layer, "activation_name", type(layer).__name__)
            for direction in ("forward", "backward"):
                phase = f"layer {i} ({name}) {direction}"
                t.wrap(layer, direction, phase)
                self.phases.append(phase)
        t.wrap(net.loss_fn, "gradient", "loss gradient")
        t.wrap(self.optimizer, "step", f"optimizer step ({self.optimizer.name})")
        t.wrap(net, "batch", "batch gather")
        self.epoch()  # warm: buffers allocated, code loaded

    def epoch(self) -> float:
        net, optimizer, X, Y = self.network, self.optimizer, self.X, self.Y
        xb = yb = None
        self.timers.seconds.clear()
        started = time.perf_counter()
        for index in self.order:
            xb, yb = net.batch(X, index, xb), net.batch(Y, index, yb)
            net.train_step(xb, yb, optimizer)
        return time.perf_counter() - started


def breakdown(profiled: Profiled, seconds: dict[str, float], total: float, steps: int) -> dict[str, float]:
    """Microseconds per step by phase; nested timers (bias + activation inside a forward) subtracted out."""
    us = {k: v / steps * 1e6 for k, v in seconds.items()}
    forward = sum(us.get(p, 0.0) for p in profiled.phases if p.endswith("forward"))
    backward = sum(us.get(p, 0.0) for p in profiled.phases if p.endswith("backward"))
    inner_forward, inner_backward = us.get("bias + activation", 0.0), us.get("activation derivative", 0.0)
    rows: dict[str, float] = {
        "forward GEMMs (X Wᵀ) and layer plumbing": forward - inner_forward,
        "forward bias + activation (kernels)": inner_forward,
        "loss gradient (softmax cross-entropy)": us.get("loss gradient", 0.0),
        "backward GEMMs (dZᵀ X, dZ W), bias gradients": backward - inner_backward,
        "backward activation derivatives (kernels)": inner_backward,
        **{k: v for k, v in us.items() if k.startswith("optimizer") or k == "batch gather"},
    }
    rows["loop and other"] = total / steps * 1e6 - sum(rows.values())
    rows["step total"] = total / steps * 1e6
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", default="784,256,128,10", help="layer widths, input first")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=50, help="steps per timed epoch")
    parser.add_argument("--repeat", type=int, default=9, help="epochs per kernel set; the fastest counts")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--kernels", default="numpy,numba", help="kernel sets, comma-separated")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    sets = [k.strip() for k in args.kernels.split(",") if k.strip()]
    profiled = {k: Profiled(k, widths, args.batch, args.steps, args.dtype) for k in sets}
    best: dict[str, tuple[float, dict[str, float]]] = {k: (float("inf"), {}) for k in sets}
    for _ in range(args.repeat):
        for k, p in profiled.items():
            total = p.epoch()
            if total < best[k][0]:
                best[k] = (total, dict(p.timers.seconds))
    tables = {k: breakdown(profiled[k], best[k][1], best[k][0], args.steps) for k in sets}
    params = profiled[sets[0]].network.flat_params.size
    print(
        f"{widths} relu/softmax, adam, batch {args.batch}, {args.dtype}, {params:,} parameters; "
        f"{cpu_name()}, {os.cpu_count()} CPUs; fastest of {args.repeat} epochs of {args.steps} steps"
    )
    width = max(len(r) for r in tables[sets[0]])
    print(f"{'phase'.ljust(width)}  " + "  ".join(f"{'NN_KERNELS=' + k:>22}" for k in sets))
    for row in tables[sets[0]]:
        cells = []
        for k in sets:
            value, total = tables[k][row], tables[k]["step total"]
            cells.append(f"{value:9.1f} µs {100 * value / total:5.1f} %")
        print(f"{row.ljust(width)}  " + "  ".join(f"{c:>22}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
