"""How a network names its parameters and which of them carry a weight penalty.

Backend-agnostic bookkeeping every backend's network needs in the same form:
the names (``layers.0.weight``) are those of model files, checkpoints and
``parameter_shapes()``, and the penalty rule (a layer's own regularizer
overrides the model's) must not differ between backends. Only the storage
behind the names, a backend's flat buffer and its views, is the backend's own.
"""

from __future__ import annotations

from collections.abc import Sequence

from nn_core.contracts import Layer, Regularizable, Regularizer


def parameter_layout(layers: Sequence[Layer]) -> list[tuple[str, tuple[int, ...]]]:
    """Every built layer's parameters as ``(name, shape)``, in flat-buffer order."""
    return [
        (f"layers.{i}.{pname}", tuple(shape))
        for i, layer in enumerate(layers)
        for pname, shape in layer.param_shapes.items()
    ]


def weight_penalties(layers: Sequence[Layer], regularizer: Regularizer | None) -> list[tuple[Regularizer, str]]:
    """``(regularizer, parameter name)`` for each penalized parameter: a layer's own regularizer
    overrides the model's, and only what the layer lists in ``regularized`` is penalized."""
    penalties: list[tuple[Regularizer, str]] = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, Regularizable):
            continue
        reg = layer.regularizer or regularizer
        if reg is not None:
            penalties.extend((reg, f"layers.{i}.{pname}") for pname in layer.regularized)
    return penalties
