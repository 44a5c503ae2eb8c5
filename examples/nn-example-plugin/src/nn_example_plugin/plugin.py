"""Registration: the module the ``nn`` entry point names.

Kept cheap to import: ``nn plugins`` and ``nn validate`` import every plugin.
"""

from __future__ import annotations

from nn_core.hookspecs import hookimpl
from nn_example_plugin.lion import Lion
from nn_example_plugin.swish import Swish


@hookimpl
def nn_components() -> list[type]:
    return [Swish, Lion]
