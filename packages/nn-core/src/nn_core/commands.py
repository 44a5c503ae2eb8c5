"""Subcommands that plugins add to ``nn`` through the ``nn_register_commands`` hook.

Every command name has one owner: nn-core's built-ins first, then each plugin
in turn. A plugin asking for a name that is already taken gets
:class:`CommandClash` from ``add_parser``; the CLI reports it naming both
distributions and the first owner keeps the name, so one badly behaved plugin
never takes ``nn train`` away (or breaks every other command).

Plugins may also add kinds of picture to ``nn plot`` with :func:`add_plot_kind`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nn_core.errors import NNError

if TYPE_CHECKING:
    _SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]
else:  # not subscriptable at run time
    _SubParsers = argparse._SubParsersAction

BUILT_IN = "nn-core"

Handler = Callable[[argparse.Namespace, Any], int]
"""``handler(args, plugins) -> exit status``: what ``parser.set_defaults(handler=...)`` names."""


class CommandClash(NNError):
    """A plugin asked for a command name that another distribution already owns."""


class OwnedSubParsers(_SubParsers):
    """argparse's subcommand action, remembering which distribution added each name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners: dict[str, str] = {}
        self.adding_for = BUILT_IN
        """The distribution whose ``add_parser`` calls are being made."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        for wanted in (name, *kwargs.get("aliases", ())):
            owner = self.owners.get(wanted)
            if owner is not None:
                theirs = "nn's built-in command" if owner == BUILT_IN else f"{owner}'s command"
                raise CommandClash(
                    f"{self.adding_for} adds command {wanted!r}, which clashes with {theirs} {wanted!r}; "
                    f"{owner} keeps it (uninstall one of them)"
                )
        parser = super().add_parser(name, **kwargs)
        for added in (name, *kwargs.get("aliases", ())):
            self.owners[added] = self.adding_for
        return parser


def register_plugin_commands(subparsers: OwnedSubParsers, pm: Any) -> list[str]:
    """Call each plugin's ``nn_register_commands``; return the problems, one line each."""
    problems: list[str] = []
    sources = getattr(pm, "sources", {})
    for impl in pm.hook.nn_register_commands.get_hookimpls():
        source = sources.get(impl.plugin_name)
        distribution = source.distribution if source is not None else str(impl.plugin_name)
        subparsers.adding_for = distribution
        try:
            impl.function(subparsers=subparsers)
        except CommandClash as clash:
            problems.append(str(clash))
        except Exception as exc:
            problems.append(f"{distribution}: nn_register_commands raised {type(exc).__name__}: {exc}")
        finally:
            subparsers.adding_for = BUILT_IN
    return problems


def add_plot_kind(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], kind: str, handler: Handler, help: str
) -> None:
    """Let ``nn plot KIND TARGET -o FILE`` draw a plugin's picture with ``handler(args, plugins)``.

    ``args`` holds ``target`` and ``output``; the handler writes the file.
    """
    plot = subparsers.choices.get("plot")
    if plot is None:
        raise NNError("this nn has no plot command to add to")
    kinds: dict[str, Handler] = plot.get_default("plot_kinds")
    owners: dict[str, str] = plot.get_default("plot_owners")
    adding_for = getattr(subparsers, "adding_for", "?")
    what = next(action for action in plot._actions if action.dest == "what")
    choices = list(what.choices or ())
    if kind in choices:
        owner = owners.get(kind, BUILT_IN)
        raise CommandClash(f"{adding_for} adds `nn plot {kind}`, which {owner} already draws; {owner} keeps it")
    kinds[kind] = handler
    owners[kind] = adding_for
    what.choices = [*choices, kind]
    what.help = f"{what.help}; {kind}: {help}" if what.help else f"{kind}: {help}"
