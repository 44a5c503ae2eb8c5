"""Every hook nn calls, in one place.

Plugins are modules (or objects) named by an entry point in group ``nn``::

    [project.entry-points.nn]
    my-plugin = "my_plugin.plugin"

and implement hooks with the marker exported here::

    from nn_core import hookimpl

    @hookimpl
    def nn_components():
        return [Swish, Lion]

Registration hooks return lists and are called once per plugin when the
registry is built, so each answer can be attributed to its distribution.
Lifecycle hooks run once per epoch (or per log interval), never per
minibatch step: the hot loop stays free of plugin dispatch. pluggy itself
dispatches them (last registered first), so ``@hookimpl(wrapper=True)``
wrappers, ``tryfirst``/``trylast`` and ``NN_TRACE_HOOKS=1`` tracing work.

What a lifecycle hook can read from ``run`` (:class:`nn_core.training.Run`):
``run.spec`` (the validated :class:`~nn_core.spec.Spec`), ``run.experiment``
(``network``, ``optimizer``, ``schedule``, ``metrics``, ``splits`` with numpy
``data.X``/``data.y`` per split, ``classes``), ``run.epoch`` (epochs
completed), ``run.history`` (one dict per logged epoch: ``{"epoch": 10,
"train": {"loss": ..., "accuracy": ...}, "dev": {...}}``) and
``run.stop_requested``. Weights are read as numpy copies by name with
``run.experiment.network.state_arrays()``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import argparse

    from nn_core.component import Component

PROJECT = "nn"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def nn_components() -> list[type[Component]]:  # type: ignore[empty-body]
    """Return the component classes this plugin provides.

    Called once, when the registry is built (before any spec is validated).
    Each class needs ``kind``, ``name``, ``params_schema`` and, for compute
    kinds, ``backend``. A (kind, name, backend) claimed by two distributions
    is a clash that makes the name unusable until one is uninstalled.
    """


@hookspec
def nn_train_start(run: Any) -> None:
    """Called once before the first epoch (or the first resumed epoch).

    ``run`` is the :class:`nn_core.training.Run`: spec, network, optimizer
    and history. An exception stops the run before training starts.
    """


@hookspec
def nn_epoch_end(run: Any, epoch: int, metrics: dict[str, dict[str, float]] | None) -> bool | None:
    """Called after each epoch. ``metrics`` is set on log epochs, else None.

    Return True to ask the loop to stop after this epoch (early stopping).
    An exception is reported with the plugin's name and stops the run.
    """


@hookspec
def nn_train_end(run: Any) -> None:
    """Called once after the last epoch, also when training stopped early."""


@hookspec
def nn_contract_version() -> int:  # type: ignore[empty-body]
    """Return the version of nn's plugin contract this plugin was written for: 2.

    Every plugin that implements ``nn_components`` must implement it. A plugin
    without it (written for contract v1) or answering another number registers
    nothing and is reported in one line naming its distribution and what
    changed (docs/plugins.md#contract-v2).
    """


@hookspec
def nn_register_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``nn`` subcommands (datasette's ``register_commands`` is the model).

    ::

        @hookimpl
        def nn_register_commands(subparsers):
            p = subparsers.add_parser("sweep", help="run many trials")
            p.add_argument("file")
            p.set_defaults(handler=run_sweep)   # run_sweep(args, plugins) -> exit status

    ``plugins`` is the command's :class:`nn_core.plugins.Plugins`. nn calls
    this hook only when the command line names no built-in command, asks for
    ``--help``, or names ``nn plot`` (whose kinds plugins may add with
    :func:`nn_core.commands.add_plot_kind`). A name that clashes with a
    built-in command or another plugin's is not added, with one warning naming
    both distributions. Import heavy libraries inside the handler.
    """


@hookspec
def nn_exporters() -> list[Any]:  # type: ignore[empty-body]
    """Return model exporters: objects with ``name`` (the ``nn export --format``
    value), ``suffix`` (the usual file suffix, e.g. ``.pt``), ``description``
    (one line for ``nn export --help``) and ``export(model, path) -> str | None``.

    ``model`` is a loaded :class:`nn_core.model.Model`; ``path`` is a temporary
    file beside the destination that nn renames into place once ``export``
    returns, so a failure never leaves a half-written file. The returned text,
    if any, is printed (how to load the file), with the temporary path in it
    replaced by the destination. Raise an
    :class:`nn_core.errors.NNError` for a model the format cannot express.
    """
