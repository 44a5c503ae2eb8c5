"""``nn summary``: each layer's output width, parameter count and activation, and the total.

Like Keras's ``model.summary()``. Only the Layer contract is used: each layer
is instantiated from the spec and ``build(input_width, dtype)`` gives its
output width and ``param_shapes``; ``buffers()`` (batch norm's running
statistics, :class:`~nn_core.contracts.HasBuffers`) are counted as non-trainable. Nothing is initialized or trained.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import prod
from typing import Any

import numpy as np

from nn_core.registry import Registry
from nn_core.spec.model import ComponentSpec, Spec


@dataclass(frozen=True)
class LayerSummary:
    index: int
    type: str
    output: int
    activation: str | None
    parameters: int
    non_trainable: int
    shapes: dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class Summary:
    name: str
    backend: str
    dtype: str
    input: int
    layers: list[LayerSummary]

    @property
    def parameters(self) -> int:
        return sum(layer.parameters for layer in self.layers)

    @property
    def non_trainable(self) -> int:
        return sum(layer.non_trainable for layer in self.layers)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["parameters"] = self.parameters
        data["non_trainable"] = self.non_trainable
        return data

    def table(self) -> str:
        """The summary as text: one row per layer, then the totals."""
        rows = [["layer", "type", "output", "activation", "parameters", "shapes"]]
        rows.append(["input", "", str(self.input), "", "", ""])
        for layer in self.layers:
            shapes = ", ".join(f"{k} {'×'.join(map(str, v))}" for k, v in layer.shapes.items())
            rows.append(
                [
                    str(layer.index),
                    layer.type,
                    str(layer.output),
                    layer.activation or "-",
                    f"{layer.parameters:,}",
                    shapes,
                ]
            )
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        right = {2, 4}  # numbers align right
        lines = [
            "  ".join(
                cell.rjust(w) if c in right else cell.ljust(w)
                for c, (cell, w) in enumerate(zip(r, widths, strict=True))
            )
            for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        itemsize = np.dtype(self.dtype).itemsize
        total = self.parameters + self.non_trainable
        extra = f" + {self.non_trainable:,} non-trainable (running statistics)" if self.non_trainable else ""
        head = f"{self.name}: backend {self.backend}, {self.dtype}"
        tail = f"total: {self.parameters:,} trainable parameters{extra}; {_size(total * itemsize)} in {self.dtype}"
        return "\n".join([head, *(line.rstrip() for line in lines), tail])


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n:,.1f} GiB"


def summarize(spec: Spec, registry: Registry, input_dim: int) -> Summary:
    """Build each layer of ``spec`` in turn from ``input_dim`` features and describe it."""
    from nn_core.experiment import instantiate

    width = input_dim
    layers: list[LayerSummary] = []
    for index, layer_spec in enumerate(spec.model.layers):
        layer = instantiate(layer_spec, registry, spec.backend)
        width = int(layer.build(width, spec.dtype))
        shapes = {name: tuple(int(d) for d in shape) for name, shape in getattr(layer, "param_shapes", {}).items()}
        buffers = getattr(layer, "buffers", None)  # contract v2: HasBuffers.buffers() -> dict
        buffers = (buffers() if callable(buffers) else buffers) or {}
        activation = layer_spec.params.get("activation")
        if isinstance(activation, ComponentSpec):
            activation = activation.type
        layers.append(
            LayerSummary(
                index=index,
                type=layer_spec.type,
                output=width,
                activation=str(activation) if activation is not None else None,
                parameters=sum(prod(shape) for shape in shapes.values()),
                non_trainable=sum(int(np.size(array)) for array in buffers.values()),
                shapes=shapes,
            )
        )
    return Summary(spec.name, spec.backend, spec.dtype, input_dim, layers)
