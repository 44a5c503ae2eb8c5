"""Trials: resolved specs identified by their hash, and the ``trials.jsonl`` record of a sweep.

A trial is the sweep's spec with one assignment of the swept parameters
applied as ``--set`` overrides, then validated and normalized (defaults
filled). Its identity is the sha256 of that normalized document, so two
assignments that give the same spec are one trial, and ``--resume``
recognizes a finished trial however the sweep file orders its parameters.
With cross-validation, a trial runs once per fold: its records share the
spec hash and differ in ``fold``.

``trials.jsonl`` gets one JSON line per finished (trial, fold), appended and
flushed as each finishes, so an interrupted sweep loses at most the trials
still running. ``sweep.json`` describes the sweep (objective, parameters) for
``nn plot sweep`` and ``nn ensemble``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nn_core.errors import NNError
from nn_sweep.search import Assignment, as_override
from nn_sweep.sweepfile import Sweep

TRIALS_FILE = "trials.jsonl"
SWEEP_FILE = "sweep.json"
TRIALS_DIR = "trials"
FINISHED = ("ok", "failed", "invalid")
"""Statuses ``--resume`` skips: a crash (``error``) is tried again, a diverged or invalid trial would fail again."""


@dataclass(frozen=True)
class Trial:
    """One run to do: a resolved spec (or the reason it is invalid) and a fold."""

    number: int
    overrides: Assignment
    spec_hash: str
    document: dict[str, Any] | None
    fold: int | None = None
    invalid: str | None = None

    @property
    def key(self) -> str:
        return self.spec_hash if self.fold is None else f"{self.spec_hash}-fold{self.fold}"


def spec_hash(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=list)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def resolve(sweep: Sweep, number: int, assignment: Assignment, registry: Any) -> list[Trial]:
    """The trial(s) of one assignment: validated here, before anything is submitted."""
    from nn_core.spec import SpecError, load_spec

    overrides = [as_override(path, value) for path, value in assignment.items()]
    folds: list[int | None] = list(range(sweep.folds)) if sweep.folds else [None]
    try:
        spec = load_spec(sweep.spec_path, overrides, registry)
    except SpecError as exc:
        reason = _reason(sweep, assignment, exc.issues[0])
        reason += f" (and {len(exc.issues) - 1} more)" if len(exc.issues) > 1 else ""
        key = spec_hash({"invalid": assignment})
        return [Trial(number, assignment, key, None, fold, invalid=reason) for fold in folds]
    document = json.loads(json.dumps(dict(spec.document), default=list))
    digest = spec_hash(document)
    problem = objective_problem(sweep, spec)
    return [Trial(number, assignment, digest, document, fold, invalid=problem) for fold in folds]


def objective_problem(sweep: Sweep, spec: Any) -> str | None:
    """Why a trial of ``spec`` could not report the sweep's objective (found before it runs), or None."""
    split, _, name = sweep.objective_metric.partition(".")
    where = f"{sweep.locations.get('objective', sweep.source)}: objective.metric {sweep.objective_metric}"
    if split == "dev" and not sweep.folds and not spec.data.split.dev:
        return f"{where}: the spec has no dev split (set data.split.dev, or cross-validate with cv)"
    if split == "test" and (sweep.folds or not spec.data.split.test):
        return f"{where}: there is no test split " + ("with cv" if sweep.folds else "(set data.split.test)")
    measured = {"loss", *(m.type for m in spec.metrics)}
    if name not in measured:
        return f"{where}: the spec measures {', '.join(sorted(measured))}, not {name} (add it to metrics)"
    return None


def _reason(sweep: Sweep, assignment: Assignment, issue: Any) -> str:
    """A spec error one of the swept values caused, pointing at that parameter in the sweep file."""
    from nn_core.spec import format_path

    for path, value in assignment.items():
        override = f"--set {as_override(path, value)}"
        # validation names the override "(--set ...)", applying it (a list item that is not there) "--set ..."
        if issue.source in (f"({override})", override):
            where = sweep.locations.get(path, sweep.source)
            return f"{where}: params.{path} = {json.dumps(value)}: {format_path(issue.path)}: {issue.message}"
    return str(issue)


def read_records(directory: Path) -> list[dict[str, Any]]:
    """The records of ``trials.jsonl`` (a line cut short by a crash is skipped)."""
    path = directory / TRIALS_FILE
    if not path.exists():
        return []
    records = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "key" in record:
                records.append(record)
    return records


class RecordWriter:
    """Appends records to ``trials.jsonl``, each line flushed to disk before the next trial is counted."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / TRIALS_FILE
        try:
            self.file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (closed by close())
        except OSError as exc:
            raise NNError(f"cannot write {self.path}: {exc.strerror}") from None

    def write(self, record: dict[str, Any]) -> None:
        self.file.write(json.dumps(record, sort_keys=True, allow_nan=True) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self) -> None:
        self.file.close()


def describe(sweep: Sweep) -> dict[str, Any]:
    """What ``sweep.json`` holds."""
    return {
        "sweep": sweep.source,
        "spec": str(sweep.spec_path),
        "spec_file": str(Path(sweep.spec_path).resolve()),  # the same spec whichever directory nn ran in
        "search": sweep.search,
        "params": [d.path for d in sweep.params],
        "objective": {"metric": sweep.objective_metric, "mode": sweep.objective_mode},
        "folds": sweep.folds,
    }


def read_description(directory: Path) -> dict[str, Any]:
    path = directory / SWEEP_FILE
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except FileNotFoundError:
        raise NNError(
            f"{directory} holds no sweep ({SWEEP_FILE} is missing): run `nn sweep SWEEP -o {directory}`"
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise NNError(f"cannot read {path}: {exc}") from None
    if not isinstance(value, dict) or not isinstance(value.get("objective"), dict):
        raise NNError(f"{path} is not an nn sweep description")
    return value
