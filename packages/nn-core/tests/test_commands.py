"""Plugins add `nn` subcommands through nn_register_commands; a clash names both distributions."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

import nn_core.plugins
from nn_core import cli
from nn_core.hookspecs import hookimpl
from nn_core.plugins import get_plugin_manager, load_plugins


class Greeter:
    """A plugin with one command, `nn greet NAME`."""

    def __init__(self, command: str = "greet") -> None:
        self.command = command
        self.calls: list[tuple[argparse.Namespace, Any]] = []

    @hookimpl
    def nn_register_commands(self, subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        p = subparsers.add_parser(self.command, help="say hello")
        p.add_argument("name")
        p.set_defaults(handler=self.greet)

    def greet(self, args: argparse.Namespace, plugins: Any) -> int:
        self.calls.append((args, plugins))
        print(f"hello {args.name}")
        return 7


def _parser(*plugins: tuple[Any, str]) -> tuple[argparse.ArgumentParser, list[str]]:
    problems: list[str] = []
    pm = get_plugin_manager(entry_point_group=None, plugins=plugins)
    return cli.make_parser(pm, problems), problems


def test_a_plugin_command_is_parsed_and_its_handler_gets_the_plugins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    greeter = Greeter()
    loaded = load_plugins(entry_point_group=None, plugins=[(greeter, "nn-greeter")])
    monkeypatch.setattr(nn_core.plugins, "load_plugins", lambda *args, **kwargs: loaded)
    assert cli.main(["greet", "world"]) == 7
    assert capsys.readouterr().out == "hello world\n"
    ((args, plugins),) = greeter.calls
    assert args.name == "world" and plugins is loaded


def test_clash_with_a_built_in_names_both_and_the_built_in_stays() -> None:
    parser, problems = _parser((Greeter("train"), "nn-hijack"))
    assert problems == [
        "nn-hijack adds command 'train', which clashes with nn's built-in command 'train'; "
        "nn-core keeps it (uninstall one of them)"
    ]
    assert parser.parse_args(["train", "spec.yaml"]).func is cli.cmd_train


def test_clash_between_two_plugins_names_both_distributions() -> None:
    first, second = Greeter(), Greeter()
    parser, problems = _parser((first, "nn-first"), (second, "nn-second"))
    assert len(problems) == 1
    assert "adds command 'greet', which clashes with" in problems[0]
    assert {"nn-first", "nn-second"} <= set(problems[0].replace(",", " ").replace("'s", " ").split())
    owner = parser.parse_args(["greet", "x"]).handler.__self__
    assert owner in (first, second) and problems[0].endswith(
        f"{'nn-first' if owner is first else 'nn-second'} keeps it (uninstall one of them)"
    )


def test_a_plugin_that_raises_is_reported_and_nn_still_works() -> None:
    class Broken:
        @hookimpl
        def nn_register_commands(self, subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
            raise RuntimeError("oops")

    parser, problems = _parser((Broken(), "nn-broken"))
    assert problems == ["nn-broken: nn_register_commands raised RuntimeError: oops"]
    assert parser.parse_args(["validate", "s.yaml"]).func is cli.cmd_validate


def test_a_plugin_adds_a_kind_of_plot() -> None:
    from nn_core.commands import add_plot_kind

    drawn: list[str] = []

    class Plotter:
        @hookimpl
        def nn_register_commands(self, subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
            add_plot_kind(subparsers, "sweep", lambda args, plugins: drawn.append(args.target) or 0, "a sweep")
            add_plot_kind(subparsers, "history", lambda args, plugins: 0, "again")

    parser, problems = _parser((Plotter(), "nn-plotter"))
    assert problems == ["nn-plotter adds `nn plot history`, which nn-core already draws; nn-core keeps it"]
    args = parser.parse_args(["plot", "sweep", "runs", "-o", "x.png"])
    assert args.plot_kinds["sweep"](args, None) == 0 and drawn == ["runs"]
