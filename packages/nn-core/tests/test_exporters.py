"""``nn_core.export``: formats come from plugins, clashes name both, a failed export leaves nothing behind."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from nn_core.errors import PluginError
from nn_core.export import ExportError, export_model, exporters
from nn_core.hookspecs import hookimpl
from nn_core.outputs import OutputError
from nn_core.plugins import get_plugin_manager


class TextExporter:
    """Writes the model's repr: enough to see what reached the file."""

    name = "text"
    suffix = ".txt"
    description = "the model's repr"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def export(self, model: object, path: str) -> str:
        Path(path).write_text(f"model {model!r}")
        if self.fail:
            raise ExportError("text: this model cannot be written")
        return f"read it with open({path!r})"


def plugin(*answers: object) -> types.SimpleNamespace:
    return types.SimpleNamespace(nn_exporters=hookimpl(lambda: list(answers)))


def test_formats_are_collected_from_plugins() -> None:
    pm = get_plugin_manager(entry_point_group=None, plugins=[(plugin(TextExporter()), "nn-text")])
    assert list(exporters(pm)) == ["text"]


def test_two_plugins_claiming_one_format_are_named() -> None:
    pm = get_plugin_manager(
        entry_point_group=None, plugins=[(plugin(TextExporter()), "nn-a"), (plugin(TextExporter()), "nn-b")]
    )
    with pytest.raises(PluginError, match=r"export format 'text' is provided by both nn-\w and nn-\w"):
        exporters(pm)


def test_an_answer_without_export_is_refused_naming_the_distribution() -> None:
    pm = get_plugin_manager(entry_point_group=None, plugins=[(plugin("not an exporter"), "nn-bad")])
    with pytest.raises(PluginError, match=r"^nn-bad: nn_exporters returned 'not an exporter'"):
        exporters(pm)


def test_export_renames_into_place_and_names_the_destination(tmp_path: Path) -> None:
    target = tmp_path / "m.txt"
    note = export_model("M", TextExporter(), target)
    assert target.read_text() == "model 'M'"
    assert note == f"read it with open({str(target)!r})"
    assert [p.name for p in tmp_path.iterdir()] == ["m.txt"]


def test_a_failed_export_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "m.txt"
    target.write_text("old")
    with pytest.raises(ExportError, match="cannot be written"):
        export_model("M", TextExporter(fail=True), target)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.txt"]


def test_bad_destinations_are_one_line_through_the_output_policy(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"is a directory, not a regular file"):
        export_model("M", TextExporter(), tmp_path)
    with pytest.raises(OutputError, match=r"^-o .*missing/m.txt"):
        export_model("M", TextExporter(), tmp_path / "missing" / "m.txt")
    source = tmp_path / "model.nn"
    source.write_text("the model")
    with pytest.raises(OutputError, match=r"is one of this run's inputs"):
        export_model("M", TextExporter(), source, source=source)
    assert source.read_text() == "the model"
