"""Plugins add kinds of picture to `nn plot` (nn_core.commands.add_plot_kind) through nn_register_commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fakes import fake_plugins, install

from nn_core import cli
from nn_core.commands import add_plot_kind
from nn_core.hookspecs import hookimpl

drawn: list[tuple[str, str, int]] = []


def _draw(args: Any, plugins: Any) -> int:
    Path(args.output).write_text("picture")
    drawn.append((args.target, args.output, len(plugins.registry.all())))
    return 0


class Plotter:
    @staticmethod
    @hookimpl
    def nn_contract_version() -> int:
        return 2

    @staticmethod
    @hookimpl
    def nn_register_commands(subparsers: Any) -> None:
        add_plot_kind(subparsers, "sweep", _draw, "a sweep directory's objective")


class Thief(Plotter):
    @staticmethod
    @hookimpl
    def nn_register_commands(subparsers: Any) -> None:
        add_plot_kind(subparsers, "history", _draw, "someone else's picture")


def test_a_plugin_adds_a_kind_of_plot_and_its_handler_gets_the_plugins(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    loaded = fake_plugins((Plotter, "nn-plotter"))
    install(monkeypatch, loaded)
    drawn.clear()
    assert cli.main(["plot", "sweep", "runs", "-o", str(tmp_path / "s.png")]) == 0
    assert drawn == [("runs", str(tmp_path / "s.png"), len(loaded.registry.all()))]
    assert capsys.readouterr().err == ""
    with pytest.raises(SystemExit):
        cli.main(["plot", "--help"])
    assert "sweep: a sweep directory's objective" in " ".join(capsys.readouterr().out.split())


def test_a_plot_kind_nn_draws_already_is_refused_naming_both(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    install(monkeypatch, fake_plugins((Thief, "nn-thief")))
    with pytest.raises(SystemExit):
        cli.main(["plot", "--help"])
    assert capsys.readouterr().err.splitlines() == [
        "nn: warning: nn-thief 0: nn_register_commands raised CommandClash: `nn plot history` is drawn by "
        "nn-core already; nn-thief 0's is not added"
    ]


class Talker(Plotter):
    @staticmethod
    @hookimpl
    def nn_register_commands(subparsers: Any) -> None:
        def talk(args: Any, plugins: Any) -> int:
            raise BrokenPipeError(32, "Broken pipe")  # `nn talk | head -1` once head has gone

        subparsers.add_parser("talk").set_defaults(handler=talk)


def test_a_plugin_command_whose_reader_went_away_stops_quietly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install(monkeypatch, fake_plugins((Talker, "nn-talker")))
    assert cli.main(["talk"]) == cli.EXIT_BROKEN_PIPE
    assert capsys.readouterr().err == ""
