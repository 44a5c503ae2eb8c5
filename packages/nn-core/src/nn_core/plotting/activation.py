"""An activation and its derivative (tutorials 001 and 004), for any installed activation.

The derivative comes from the activation's own ``backward``, so the picture
shows what training uses, third-party activations included.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn_core.errors import NNError


def activation_from_text(text: str, registry: Any, backend: str | None) -> Any:
    """``tanh`` or ``{type: leaky_relu, alpha: 0.2}`` (YAML) to an activation, parameters checked.

    Parameters are validated against the activation's schema, defaults filled,
    as in a spec; a mistake is one line naming the parameter.
    """
    import yaml
    from jsonschema import Draft202012Validator

    from nn_core.spec.validate import bound_message

    try:
        value = yaml.safe_load(text) if text.lstrip().startswith("{") else text
    except yaml.YAMLError as exc:
        raise NNError(f"activation {text!r} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if isinstance(value, str):
        name, params = value, {}
    elif isinstance(value, dict) and isinstance(value.get("type"), str):
        params = {k: v for k, v in value.items() if k != "type"}
        name = value["type"]
    else:
        raise NNError(f"activation {text!r}: write a name (tanh) or {{type: NAME, parameter: value}}")
    info = registry.get("activation", name, backend)
    schema = info.cls.params_schema
    properties = schema.get("properties", {})
    unknown = sorted(set(params) - set(properties))
    if unknown:
        import difflib

        allowed = ", ".join(sorted(properties)) or "none"
        close = difflib.get_close_matches(str(unknown[0]), list(properties), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""  # as a spec's unknown parameter says
        raise NNError(f"unknown parameter {unknown[0]!r} for activation {name}{hint} (allowed: {allowed})")
    for error in Draft202012Validator(schema).iter_errors(params):
        where = ".".join(str(p) for p in error.absolute_path) or "parameters"
        raise NNError(f"activation {name}: {where}: {bound_message(error)}")
    defaults = {k: p["default"] for k, p in properties.items() if "default" in p and k not in params}
    return info.cls(**defaults, **params)


def is_row_wise(activation: Any) -> bool:
    """Whether an output depends on the other inputs of its row (softmax), not on its own input alone."""
    Z = np.array([[0.0, 0.0], [0.0, 1.0]])
    A = np.asarray(activation.forward(Z, np.empty_like(Z)))
    return not np.isclose(A[0, 0], A[1, 0])


def curves(activation: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """g(x) and g'(x); inputs are rows (x, 0) so row-wise softmax shows its first output."""
    Z = np.column_stack([x, np.zeros_like(x)])
    A = activation.forward(Z, np.empty_like(Z))
    A = np.array(A, copy=True)
    dA = np.column_stack([np.ones_like(x), np.zeros_like(x)])
    dZ = activation.backward(Z, A, dA, np.empty_like(Z))
    return A[:, 0], np.asarray(dZ)[:, 0]


def describe(activation: Any) -> str:
    """``leaky_relu (alpha 0.2)``: the name and its parameters, for titles and legends."""
    names = type(activation).params_schema.get("properties", {})
    values = {k: getattr(activation, k, None) for k in names}
    shown = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}" for k, v in values.items() if v is not None)
    return f"{activation.name} ({shown})" if shown else str(activation.name)


def plot_activation(activation: Any, path: str, low: float = -5.0, high: float = 5.0) -> None:
    from nn_core.plotting import pyplot, save

    if is_row_wise(activation):
        raise NNError(
            f"{activation.name} is not drawn: it maps a whole row of scores to probabilities, so no output is a "
            "function of one input (with the other input at 0 its first output is exactly sigmoid); "
            "plot sigmoid for that curve"
        )
    x = np.linspace(low, high, 801)
    y, dy = curves(activation, x)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    name = describe(activation)
    ax.plot(x, y, label=name, linewidth=2)
    ax.plot(x, dy, label=f"derivative of {activation.name}", linewidth=2, linestyle="--")
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.axvline(0, color="grey", linewidth=0.6)
    ax.set(xlabel="z", title=f"{name} and its derivative")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    save(fig, path)
