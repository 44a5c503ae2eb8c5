"""``nn export MODEL --format torch -o model.pt``: a ``torch.nn.Sequential`` state dict.

The file is a plain ``dict[str, Tensor]`` written with ``torch.save``, so
``torch.load(path, weights_only=True)`` reads it without unpickling code, and
``Sequential.load_state_dict`` takes it as is. The Sequential is nn's layers
one for one, in the model's dtype:

- nn's input scaling (``standard``/``minmax``), when the model has one, comes
  first as ``BatchNorm1d(d, eps=0.0, affine=False)`` holding the shift as
  ``running_mean`` and the squared scale as ``running_var``: in evaluation mode
  it computes ``(x − shift) / scale``, so the Sequential takes raw features
  exactly as ``nn predict`` does;
- ``dense`` → ``Linear`` (same ``(out, in)`` weight layout) followed by its
  activation module (``identity`` adds none; ``softmax`` is ``Softmax(dim=1)``;
  ``gelu`` is the exact erf form ``GELU()``; ``softplus`` is ``Softplus()``,
  whose linear branch above 20 differs from log(1 + eᶻ) by under 3e-9);
- ``batch_norm`` → ``BatchNorm1d(eps=eps, momentum=1 − momentum)``: torch
  weighs the *new* batch by ``momentum`` where nn keeps ``momentum`` of the old
  estimate. Predictions (evaluation mode) are the same; if you go on training
  in torch, note torch's running variance uses the unbiased batch variance;
- ``dropout`` → ``Dropout(p=rate)`` (identity in evaluation mode).

Any other layer or activation (a third-party plugin's) has no known torch.nn
equivalent, and the export stops with one line naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from nn_core.errors import NNError

if TYPE_CHECKING:
    import torch
else:
    from nn_torch._lazy import torch

_ACTIVATIONS: dict[str, str] = {
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "relu": "ReLU",
    "gelu": "GELU",
    "softplus": "Softplus",
}


class ExportError(NNError):
    """The model holds something torch.nn has no module for."""


@dataclass(frozen=True)
class Module:
    """One ``torch.nn`` module of the Sequential: class name, arguments, a comment for the printed source."""

    cls: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    comment: str = ""

    def code(self) -> str:
        params = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"torch.nn.{self.cls}({', '.join(params)})"

    def build(self) -> torch.nn.Module:
        module: torch.nn.Module = getattr(torch.nn, self.cls)(*self.args, **self.kwargs)
        return module


def _activation(activation: Any, where: str) -> Module | None:
    name = activation.name
    if name == "identity":
        return None
    if name == "softmax":
        return Module("Softmax", kwargs={"dim": 1})
    if name == "leaky_relu":
        return Module("LeakyReLU", (float(activation.alpha),))
    if name == "elu":
        return Module("ELU", kwargs={"alpha": float(activation.alpha)})
    if name not in _ACTIVATIONS:
        raise ExportError(f"nn export --format torch: {where} uses activation {name!r}, which has no torch.nn module")
    return Module(_ACTIVATIONS[name])


def plan(model: Any) -> tuple[list[Module], dict[str, np.ndarray]]:
    """The Sequential's modules and its state dict (numpy arrays, keyed ``"1.weight"``)."""
    arrays = model.network.state_arrays()
    dtype = next((a.dtype for a in arrays.values() if a.dtype.kind == "f"), np.dtype(np.float64))
    modules: list[Module] = []
    state: dict[str, np.ndarray] = {}

    def add(module: Module, tensors: dict[str, np.ndarray] | None = None) -> None:
        for name, value in (tensors or {}).items():
            state[f"{len(modules)}.{name}"] = value
        modules.append(module)

    counter = {"num_batches_tracked": np.zeros((), dtype=np.int64)}
    width = model.input_dim
    scaler = model.scaler
    if scaler.kind != "none":
        scale = np.asarray(scaler.scale, dtype=np.float64)
        add(
            Module("BatchNorm1d", (width,), {"eps": 0.0, "affine": False}, f"nn's {scaler.kind} input scaling"),
            {
                "running_mean": np.asarray(scaler.shift, dtype=dtype),
                "running_var": np.square(scale).astype(dtype),
                **counter,
            },
        )
    for i, layer in enumerate(model.network.layers):
        where = f"layers[{i}]"
        prefix = f"layers.{i}."
        mine = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        if layer.name == "dense":
            kwargs = {} if getattr(layer, "use_bias", True) else {"bias": False}
            add(Module("Linear", (width, int(layer.units)), kwargs), mine)
            width = int(layer.units)
            activation = _activation(layer.activation, where)
            if activation is not None:
                add(activation)
        elif layer.name == "batch_norm":
            momentum = float(layer.momentum)
            add(
                Module(
                    "BatchNorm1d",
                    (width,),
                    {"eps": float(layer.eps), "momentum": 1 - momentum},
                    f"nn momentum {momentum!r}",
                ),
                {**mine, **counter},
            )
        elif layer.name == "dropout":
            add(Module("Dropout", kwargs={"p": float(layer.rate)}))
        else:
            raise ExportError(
                f"nn export --format torch: {where} is a {layer.name!r} layer, which has no torch.nn module"
            )
    return modules, state


def _dtype_name(state: dict[str, np.ndarray]) -> str:
    return next((a.dtype.name for a in state.values() if a.dtype.kind == "f"), "float64")


def source(model: Any, path: str) -> str:
    """Python that rebuilds the Sequential and loads the exported file."""
    modules, state = plan(model)
    body = "".join(f"    {m.code()},{'  # ' + m.comment if m.comment else ''}\n" for m in modules)
    return (
        "import torch\n"
        f"model = torch.nn.Sequential(\n{body}).to(torch.{_dtype_name(state)})\n"
        f"model.load_state_dict(torch.load({path!r}, weights_only=True))\n"
        "model.eval()  # then: model(torch.from_numpy(features))"
    )


def state_dict(state: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Plain CPU tensors (copies), what ``torch.save`` writes."""
    return {name: torch.from_numpy(np.ascontiguousarray(value)).clone() for name, value in state.items()}


def sequential(model: Any) -> torch.nn.Sequential:
    """The ``torch.nn.Sequential`` an export describes, weights loaded, in evaluation mode."""
    modules, state = plan(model)
    built = torch.nn.Sequential(*(m.build() for m in modules)).to(getattr(torch, _dtype_name(state)))
    built.load_state_dict(state_dict(state))
    return built.eval()


class TorchExporter:
    """``--format torch``: a state dict for ``torch.nn.Sequential`` (``torch.load(..., weights_only=True)``)."""

    name: ClassVar[str] = "torch"
    suffix: ClassVar[str] = ".pt"
    description: ClassVar[str] = "state dict of plain tensors for a torch.nn.Sequential of the same layers"

    def export(self, model: Any, path: str) -> str:
        _, state = plan(model)
        torch.save(state_dict(state), path)
        return source(model, path)
