"""``nn export MODEL --format NAME -o PATH``: a trained model in another framework's format.

nn-core knows no format itself: plugins register exporters through the
``nn_exporters`` hook (nn-torch provides ``torch``, a ``torch.nn.Sequential``
state dict). An exporter writes to a temporary path beside the destination
(:func:`nn_core.outputs.atomic_path`), renamed into place only when it
succeeds, so a failed export never leaves a broken or half-written file, and
an existing file survives a failure.
"""

from __future__ import annotations

import os
from typing import Any, Protocol, cast, runtime_checkable

from nn_core.errors import NNError, PluginError
from nn_core.outputs import atomic_path, check_output_path
from nn_core.plugins import PluginManager


@runtime_checkable
class Exporter(Protocol):
    """What ``nn_exporters`` returns, one object per format."""

    name: str
    suffix: str
    description: str

    def export(self, model: Any, path: str) -> str | None: ...


class ExportError(NNError):
    """An export that cannot be done; the message says why in one line."""


def exporters(pm: PluginManager) -> dict[str, Exporter]:
    """Every registered format by name; two plugins claiming one name is a PluginError naming both."""
    found: dict[str, Exporter] = {}
    owners: dict[str, str] = {}
    for impl in pm.hook.nn_exporters.get_hookimpls():
        source = pm.sources.get(impl.plugin_name)
        owner = source.distribution if source is not None else impl.plugin_name
        answered = cast("list[Any]", impl.function() or [])
        for exporter in answered:
            if not isinstance(exporter, Exporter):
                raise PluginError(f"{owner}: nn_exporters returned {exporter!r}, which lacks name/suffix/export")
            if exporter.name in found:
                raise PluginError(
                    f"export format {exporter.name!r} is provided by both {owners[exporter.name]} and {owner}"
                )
            found[exporter.name] = exporter
            owners[exporter.name] = owner
    return found


def export_model(
    model: Any, exporter: Exporter, path: str | os.PathLike[str], *, source: str | os.PathLike[str] | None = None
) -> str | None:
    """Run ``exporter`` into a temporary file beside ``path`` and rename it into place.

    ``path`` goes through nn's output policy (:func:`nn_core.outputs.check_output_path`):
    the model file being read (``source``), a directory or a device is refused.
    """
    target = check_output_path(path, inputs=[source], what="-o")
    with atomic_path(target, exporter.suffix) as tmp:
        note = exporter.export(model, str(tmp))
    # The exporter saw the temporary name; what it tells the user names the real file.
    return note.replace(str(tmp), target) if note else note
