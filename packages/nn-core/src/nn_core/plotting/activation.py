"""An activation and its derivative (tutorials 001 and 004), for any installed activation.

The derivative comes from the activation's own ``backward``, so the picture
shows what training uses, third-party activations included.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def curves(activation: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """g(x) and g'(x); inputs are rows (x, 0) so row-wise softmax shows its first output."""
    Z = np.column_stack([x, np.zeros_like(x)])
    A = activation.forward(Z, np.empty_like(Z))
    A = np.array(A, copy=True)
    dA = np.column_stack([np.ones_like(x), np.zeros_like(x)])
    dZ = activation.backward(Z, A, dA, np.empty_like(Z))
    return A[:, 0], np.asarray(dZ)[:, 0]


def plot_activation(activation: Any, path: str, low: float = -5.0, high: float = 5.0) -> None:
    from nn_core.plotting import pyplot, save

    x = np.linspace(low, high, 801)
    y, dy = curves(activation, x)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(x, y, label=activation.name, linewidth=2)
    ax.plot(x, dy, label=f"derivative of {activation.name}", linewidth=2, linestyle="--")
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.axvline(0, color="grey", linewidth=0.6)
    ax.set(xlabel="z", title=f"{activation.name} and its derivative")
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    save(fig, path)
