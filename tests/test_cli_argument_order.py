"""Options may sit anywhere among a command's words, as argparse users expect."""

from __future__ import annotations

import json

import pytest

from nn_core.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["plugins", "show", "--kind", "activation", "tanh"],
        ["plugins", "show", "tanh", "--kind", "activation"],
        ["plugins", "--kind", "activation", "show", "tanh"],
    ],
)
def test_plugins_show_name_after_an_option(argv: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith("activation tanh (backend numpy)")


def test_plugins_show_json_before_the_name_is_one_document(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["plugins", "show", "--json", "tanh"]) == 0
    rows = json.loads(capsys.readouterr().out)["components"]
    # one row per backend that has it (nn-torch may be installed beside nn-numpy)
    assert {(r["kind"], r["name"]) for r in rows} == {("activation", "tanh")}
    assert "numpy" in {r["backend"] for r in rows}


def test_plugins_show_debug_before_the_name_shows_the_traceback() -> None:
    from nn_core.errors import NNError

    with pytest.raises(NNError, match="unknown component 'nope'"):
        main(["plugins", "show", "--debug", "nope"])


def test_a_word_too_many_is_still_refused(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as exc:
        main(["plugins", "show", "--json", "tanh", "relu"])
    assert exc.value.code == 2
    assert "unrecognized arguments: relu" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["nope.nn", "nope.yaml"])
def test_summary_of_a_missing_file_names_both_kinds(name: str, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / name
    assert main(["summary", str(missing)]) == 1
    assert capsys.readouterr().err.strip() == f"nn: error: {missing}: spec or model file not found"
