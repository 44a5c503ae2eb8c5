"""Spec errors: every problem found, each with its JSON path and file position."""

from __future__ import annotations

from dataclasses import dataclass

from nn_core.errors import NNError

Path = tuple["str | int", ...]


def format_path(path: Path) -> str:
    """``("model", "layers", 1, "units")`` → ``model.layers[1].units``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@dataclass(frozen=True)
class SpecIssue:
    """One problem: where (path, file:line:col) and what."""

    path: Path
    message: str
    source: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def location(self) -> str:
        if self.source is None:
            return ""
        if self.line is None:
            return f"{self.source}: "
        return f"{self.source}:{self.line}:{self.column}: "

    def __str__(self) -> str:
        if not self.path and self.location:  # "nope.yaml: spec file not found" needs no "(top level)"
            return f"{self.location}{self.message}"
        return f"{self.location}{format_path(self.path)}: {self.message}"


class SpecError(NNError):
    """A spec that cannot be used; ``issues`` lists every problem found."""

    exit_code = 2

    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))
