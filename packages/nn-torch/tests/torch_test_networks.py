"""Networks built by hand from the same layer specs on both backends (no registry needed).

A plain module, not conftest.py: several packages' tests may run in one pytest session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def make_network(
    backend: str,
    layers: list[tuple[str, dict[str, Any]]],
    *,
    loss: str = "categorical_cross_entropy",
    l2: float | None = None,
    dtype: str = "float64",
    seed: int = 0,
    input_dim: int = 5,
    device: str = "cpu",
) -> Any:
    """A network of ``backend`` ("numpy" or "torch") from ``[(layer, params)]``; dense params name
    activations by string and draw with nn-core's initializers."""
    import nn_core.initializers as inits

    if backend == "numpy":
        import nn_numpy.activations as acts
        import nn_numpy.layers as lyr
        import nn_numpy.losses as losses
        import nn_numpy.regularizers as regs
        from nn_numpy.network import NumpyNetwork as Network

        extra: dict[str, Any] = {}
    else:
        import nn_torch.activations as acts  # type: ignore[no-redef]
        import nn_torch.layers as lyr  # type: ignore[no-redef]
        import nn_torch.losses as losses  # type: ignore[no-redef]
        import nn_torch.regularizers as regs  # type: ignore[no-redef]
        from nn_torch.network import TorchNetwork as Network  # type: ignore[assignment]

        extra = {"device": device}
    by_name: Callable[[list[type], str], type] = lambda kinds, name: next(k for k in kinds if k.name == name)  # noqa: E731
    built = []
    for kind, params in layers:
        params = dict(params)
        if kind == "dense":
            act = params.pop("activation", "identity")
            act_params = params.pop("activation_params", {})
            built.append(
                lyr.Dense(
                    activation=by_name(acts.ACTIVATIONS, act)(**act_params),
                    init=inits.Normal(std=params.pop("std", 0.5)),
                    bias_init=inits.Normal(std=0.1),
                    **params,
                )
            )
        else:
            built.append(by_name(lyr.LAYERS, kind)(**params))
    regularizer = regs.L2(**{"lambda": l2}) if l2 else None
    return Network(
        built,
        by_name(losses.LOSSES, loss)(),
        regularizer,
        input_dim=input_dim,
        dtype=dtype,
        rng=np.random.RandomState(seed),
        **extra,
    )
