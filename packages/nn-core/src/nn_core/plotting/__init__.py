"""Pictures the tutorials draw, one ``nn`` command each (matplotlib, an optional extra)."""

from __future__ import annotations

from typing import Any

from nn_core.errors import NNError


def pyplot() -> Any:
    """matplotlib.pyplot on the non-interactive Agg backend, or a message saying how to install it."""
    try:
        import matplotlib
    except ImportError:
        raise NNError("plotting needs matplotlib: pip install matplotlib (or nn-core[plot])") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str) -> None:
    """Write a figure to exactly ``path`` (format from its suffix), atomically."""
    import os

    from nn_core.outputs import atomic_write

    suffix = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    try:
        atomic_write(path, lambda f: fig.savefig(f, format=suffix, dpi=110, bbox_inches="tight"))
    except ValueError as exc:
        raise NNError(f"cannot write {path}: {exc}") from None
    except OSError as exc:
        raise NNError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        pyplot().close(fig)
