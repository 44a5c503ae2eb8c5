"""Plugins' own ``nn`` subcommands (the ``nn_register_commands`` hook).

Plugins are loaded for this only when the command line names no built-in
command (or asks for ``--help``), or a built-in that plugins extend (``nn
plot``, whose kinds they may add with :func:`nn_core.commands.add_plot_kind`),
so other built-in commands start as fast as before. A command name already taken, by nn or by another plugin, is not
added and is reported in one line naming both.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from nn_core.errors import NNError, PluginError, exception_line


class _Subparsers:
    """What a plugin's ``nn_register_commands`` receives: ``add_parser`` refuses taken names."""

    def __init__(self, sub: argparse._SubParsersAction, who: str, owners: dict[str, str], problems: list[str]) -> None:
        self._sub, self._who, self._owners, self._problems = sub, who, owners, problems
        self.distribution = who
        """Who is adding commands ("nn-sweep 0.2.0"): for helpers such as ``add_plot_kind``."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        for alias in (name, *kwargs.get("aliases", ())):
            owner = self._owners.get(alias)
            if owner is not None:
                taken = "a built-in command" if owner == "nn" else f"also provided by {owner}"
                self._problems.append(f"{self._who}: command {alias!r} is {taken}; {self._who}'s is not added")
                return argparse.ArgumentParser(prog=f"nn {name}")  # the plugin may fill it; nothing runs it
        for alias in (name, *kwargs.get("aliases", ())):
            self._owners[alias] = self._who
        parser: argparse.ArgumentParser = self._sub.add_parser(name, **kwargs)
        parser.set_defaults(func=run_plugin_command, plugin_command_provider=self._who)
        return parser

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._sub, name)


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def add_plugin_commands(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace | None:
    """Add the installed plugins' commands to ``parser`` when ``argv`` needs them; return
    the namespace to parse into (carrying the loaded plugins), or None."""
    sub = _subparsers(parser)
    command = next((token for token in argv if not token.startswith("-")), None)
    extended = command in sub.choices and sub.choices[command].get_default("extended_by_plugins")
    if (command in sub.choices and not extended) or (command is None and not {"-h", "--help"} & set(argv)):
        return None
    from nn_core import plugins

    loaded = plugins.load_plugins()
    problems = [str(problem) for problem in loaded.registry.problems]
    owners = {name: "nn" for name in sub.choices}
    for impl in loaded.pm.hook.nn_register_commands.get_hookimpls():
        source = loaded.pm.sources.get(impl.plugin_name)
        who = f"{source.distribution} {source.version}" if source is not None else impl.plugin_name
        proxy = _Subparsers(sub, who, owners, problems)
        try:
            impl.function(**{name: proxy for name in impl.argnames})
        except Exception as exc:  # one plugin's broken hook never hides nn's or the others' commands
            problems.append(f"{who}: nn_register_commands raised {exception_line(exc)}")
    for problem in problems:
        print(f"nn: warning: {problem}", file=sys.stderr)
    return argparse.Namespace(loaded_plugins=loaded)


def run_plugin_command(args: argparse.Namespace) -> int:
    """Call the handler a plugin set with ``parser.set_defaults(handler=fn)``: ``fn(args, plugins)``."""
    who = args.plugin_command_provider
    handler = getattr(args, "handler", None)
    if handler is None:
        raise PluginError(f"{who}: command {args.command!r} set no handler (parser.set_defaults(handler=fn))")
    try:
        return int(handler(args, args.loaded_plugins))
    except (NNError, BrokenPipeError, MemoryError):  # nn's own one-line handling (a closed pipe is quiet)
        raise
    except Exception as exc:
        raise PluginError(f"{who}: command {args.command!r} failed: {exception_line(exc)}") from exc
