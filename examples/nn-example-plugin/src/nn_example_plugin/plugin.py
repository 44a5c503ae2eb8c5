"""Registration: the module the ``nn`` entry point names.

Kept cheap to import: ``nn plugins`` and ``nn validate`` import every plugin.
"""

from __future__ import annotations

from nn_core.contracts import CONTRACT_VERSION
from nn_core.hookspecs import hookimpl
from nn_example_plugin.lion import Lion
from nn_example_plugin.swish import Swish


@hookimpl
def nn_contract_version() -> int:
    """The plugin contract this plugin was written for (v2): nn refuses it, in one
    line, if nn's contract ever moves on."""
    return CONTRACT_VERSION


@hookimpl
def nn_components() -> list[type]:
    return [Swish, Lion]
