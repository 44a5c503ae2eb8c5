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

A torch that is installed but fails to import (a CUDA build missing its
libraries, a wheel built against another numpy) passes the plugin's cheap
``find_spec`` check, so the failure surfaces here, at first use: it becomes
one :class:`~nn_core.errors.PluginError` line naming the cause and the way
out, not an "internal error" from deep inside model loading.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from nn_core.errors import PluginError, exception_line


class _LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        module = self._module
        if module is None:
            try:
                module = self._module = importlib.import_module(self._name)
            except Exception as exc:  # ImportError, OSError (missing .so), RuntimeError from its init
                raise PluginError(
                    f"torch is installed but `import {self._name}` fails ({exception_line(exc)}); "
                    "reinstall torch, or pick another backend (--backend numpy, --set backend=numpy)"
                ) from exc
        value = getattr(module, attr)
        setattr(self, attr, value)
        return value


torch: Any = _LazyModule("torch")
