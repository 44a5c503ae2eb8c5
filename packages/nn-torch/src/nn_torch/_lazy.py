"""``torch``, imported on first use.

``nn plugins``, ``nn validate`` and ``nn schema`` load every installed plugin
to build the registry and the schema; importing torch costs about a second,
so nn-torch's modules define their component classes without touching it.
Each module does::

    if TYPE_CHECKING:
        import torch
    else:
        from nn_torch._lazy import torch

so type checkers see the real module, and at run time the first attribute
read (``torch.float64``) imports it. Every attribute read is then cached on
the proxy, so the hot loop pays a plain attribute lookup, not ``__getattr__``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class _LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        value = getattr(module, attr)
        setattr(self, attr, value)
        return value


torch: Any = _LazyModule("torch")
