"""Kinds of picture that plugins add to ``nn plot`` (nn-sweep's ``nn plot sweep``).

A plugin calls :func:`add_plot_kind` from its ``nn_register_commands`` hook
(:mod:`nn_core.plugin_commands` runs that hook for ``nn plot`` too). A kind
that nn or another plugin already draws is refused, naming both.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from nn_core.errors import NNError

BUILT_IN = "nn-core"

Handler = Callable[[argparse.Namespace, Any], int]
"""``handler(args, plugins) -> exit status``; ``args`` holds ``target`` and ``output``."""


class CommandClash(NNError):
    """A plugin asked for a name that nn or another distribution already owns."""


def add_plot_kind(subparsers: Any, kind: str, handler: Handler, help: str) -> None:
    """Let ``nn plot KIND TARGET -o FILE`` draw a plugin's picture with ``handler(args, plugins)``.

    ``subparsers`` is what ``nn_register_commands`` received; the handler
    writes ``args.output`` (already checked by nn's output-path policy).
    """
    plot = subparsers.choices.get("plot")
    if plot is None:
        raise NNError("this nn has no plot command to add to")
    kinds: dict[str, Handler] = plot.get_default("plot_kinds")
    owners: dict[str, str] = plot.get_default("plot_owners")
    adding_for = str(getattr(subparsers, "distribution", "a plugin"))
    what = next(action for action in plot._actions if action.dest == "what")
    choices = list(what.choices or ())
    if kind in choices:
        owner = owners.get(kind, BUILT_IN)
        raise CommandClash(f"`nn plot {kind}` is drawn by {owner} already; {adding_for}'s is not added")
    kinds[kind] = handler
    owners[kind] = adding_for
    what.choices = [*choices, kind]
    what.help = f"{what.help}; {kind}: {help}" if what.help else f"{kind}: {help}"
