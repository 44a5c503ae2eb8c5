"""Sweep files: which spec, which parameters, how to search them, what to optimize.

::

    spec: ../specs/moons-l2.yaml            # relative to this file
    search: {type: random, trials: 40, seed: 0}   # grid | random | tpe (tpe needs optuna)
    params:                                 # paths as `nn train --set` takes them
      optimizer.lr: {loguniform: [1.0e-4, 1.0e-1]}
      model.layers[0].units: [3, 8, 16]
      seed: {range: [0, 5]}                 # 0, 1, 2, 3, 4 (Python's range: the stop is excluded)
    cv: {folds: 5, seed: 0}                 # optional: stratified k-fold, mean and sd per trial
    objective: {metric: dev.accuracy, mode: max}
    retries: 2                              # a crashed trial (not a diverged one) is run again
    resources: {cpus: 1}                    # Dask worker resources one trial holds

Sweep files are read and checked by nn-core's spec machinery (safe YAML with
positions, JSON Schema, did-you-mean), so their errors read like a spec's:
``sweep.yaml:4:3: params.optimizer.lr.loguniform: expected a list, got 0.1``.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from types import SimpleNamespace
from typing import Any

from nn_core.spec.errors import SpecError, SpecIssue
from nn_core.spec.loader import Document, read_spec
from nn_core.spec.validate import collect_issues

SEARCH_TYPES = ("grid", "random", "tpe")

_pair = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
_DOMAIN = {
    "oneOf": [
        {"type": "array", "minItems": 1, "description": "the values to try"},
        {
            "type": "object",
            "properties": {
                "range": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 3},
            },
            "required": ["range"],
            "additionalProperties": False,
        },
        {"type": "object", "properties": {"uniform": _pair}, "required": ["uniform"], "additionalProperties": False},
        {
            "type": "object",
            "properties": {"loguniform": _pair},
            "required": ["loguniform"],
            "additionalProperties": False,
        },
    ]
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "nn sweep file",
    "type": "object",
    "properties": {
        "spec": {"type": "string", "minLength": 1, "description": "spec file, relative to the sweep file"},
        "search": {
            "type": "object",
            "properties": {
                "type": {"enum": list(SEARCH_TYPES)},
                "trials": {"type": "integer", "minimum": 1},
                "seed": {"type": "integer", "minimum": 0},
            },
            "required": ["type"],
            "additionalProperties": False,
        },
        "params": {"type": "object", "minProperties": 1, "additionalProperties": _DOMAIN},
        "cv": {
            "type": "object",
            "properties": {"folds": {"type": "integer", "minimum": 2}, "seed": {"type": "integer", "minimum": 0}},
            "required": ["folds"],
            "additionalProperties": False,
        },
        "objective": {
            "type": "object",
            "properties": {
                "metric": {"type": "string", "pattern": "^(train|dev|test)\\.[A-Za-z_][A-Za-z0-9_]*$"},
                "mode": {"enum": ["min", "max"]},
            },
            "required": ["metric", "mode"],
            "additionalProperties": False,
        },
        "retries": {"type": "integer", "minimum": 0},
        "resources": {
            "type": "object",
            "properties": {
                "cpus": {"type": "number", "exclusiveMinimum": 0},
                "gpus": {"type": "number", "exclusiveMinimum": 0},
            },
            "additionalProperties": False,
        },
        "checkpoint_every": {"type": "integer", "minimum": 1, "description": "epochs between a trial's checkpoints"},
    },
    "required": ["spec", "params", "objective"],
    "additionalProperties": False,
}


@dataclass(frozen=True)
class Domain:
    """One swept parameter's values: a list (``choices``), an integer range, or a continuous interval."""

    path: str
    choices: tuple[Any, ...] | None = None
    low: float = 0.0
    high: float = 0.0
    log: bool = False

    @property
    def discrete(self) -> bool:
        return self.choices is not None


@dataclass(frozen=True)
class Sweep:
    """A checked sweep file."""

    source: str
    spec_path: FsPath
    search: str
    trials: int | None
    seed: int
    params: tuple[Domain, ...]
    objective_metric: str
    objective_mode: str
    folds: int | None = None
    cv_seed: int = 0
    retries: int = 2
    resources: dict[str, float] = field(default_factory=dict)
    checkpoint_every: int | None = None
    locations: dict[str, str] = field(default_factory=dict)
    """``file:line:col`` of each swept parameter, for errors its values cause."""


def _domain(path: str, value: Any, where: tuple[Any, ...], doc: Document) -> Domain:
    if isinstance(value, list):
        return Domain(path, tuple(value))
    if "range" in value:
        bounds = value["range"]
        step = bounds[2] if len(bounds) == 3 else 1
        if step == 0:
            raise SpecError([doc.issue(where + ("range",), "the step of a range must not be 0")])
        values = tuple(range(bounds[0], bounds[1], step))
        if not values:
            raise SpecError([doc.issue(where + ("range",), f"range{tuple(bounds)} is empty (the stop is excluded)")])
        return Domain(path, values)
    log = "loguniform" in value
    low, high = value["loguniform" if log else "uniform"]
    key = "loguniform" if log else "uniform"
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise SpecError([doc.issue(where + (key,), f"expected [low, high] with low < high, got {[low, high]}")])
    if log and low <= 0:
        raise SpecError([doc.issue(where + (key,), f"loguniform bounds must be positive, got {[low, high]}")])
    return Domain(path, None, float(low), float(high), log)


def _issues(doc: Document) -> list[SpecIssue]:
    issues = collect_issues(doc, SimpleNamespace(schema=SCHEMA), None)  # type: ignore[arg-type]
    # oneOf says only "is not valid under any of the given schemas": say what a parameter may be.
    better = []
    for issue in issues:
        if len(issue.path) == 2 and issue.path[0] == "params" and "is not valid under any" in issue.message:
            issue = SpecIssue(
                issue.path,
                "expected a list of values, {range: [start, stop]}, {uniform: [low, high]} or "
                "{loguniform: [low, high]}" + _did_you_mean(doc, issue.path),
                issue.source,
                issue.line,
                issue.column,
            )
        better.append(issue)
    return better


def _did_you_mean(doc: Document, path: tuple[Any, ...]) -> str:
    value = doc.data["params"][path[1]]
    if isinstance(value, dict) and len(value) == 1:
        key = str(next(iter(value)))
        close = difflib.get_close_matches(key, ["range", "uniform", "loguniform"], n=1)
        if close and close[0] != key:
            return f"; did you mean {close[0]!r}?"
    return ""


def read_sweep(path: str | FsPath) -> Sweep:
    """Read and check a sweep file; raise :class:`SpecError` with every problem found."""
    if not FsPath(path).exists():
        raise SpecError([SpecIssue((), "sweep file not found", str(path))])
    doc = read_spec(path)
    if not isinstance(doc.data, dict):
        raise SpecError([doc.issue((), "a sweep file must be a mapping of keys")])
    issues = _issues(doc)
    if issues:
        raise SpecError(issues)
    data = doc.data
    search = data.get("search", {"type": "grid"})
    kind = search["type"]
    params = tuple(_domain(str(p), v, ("params", p), doc) for p, v in data["params"].items())
    if kind == "grid":
        continuous = [d for d in params if not d.discrete]
        if continuous:
            raise SpecError(
                [
                    doc.issue(
                        ("params", continuous[0].path),
                        "a grid needs a list or a range; uniform and loguniform need search type random or tpe",
                    )
                ]
            )
        if "trials" in search:
            raise SpecError(
                [doc.issue(("search", "trials"), "a grid tries every combination; trials is for random and tpe")]
            )
    elif "trials" not in search:
        raise SpecError([doc.issue(("search",), f"missing required key 'trials' (how many {kind} trials to run)")])
    cv = data.get("cv")
    resources = {str(k): float(v) for k, v in data.get("resources", {}).items()}
    return Sweep(
        source=str(path),
        spec_path=(FsPath(path).parent / data["spec"]),
        search=kind,
        trials=search.get("trials"),
        seed=search.get("seed", 0),
        params=params,
        objective_metric=data["objective"]["metric"],
        objective_mode=data["objective"]["mode"],
        folds=cv["folds"] if cv else None,
        cv_seed=cv.get("seed", 0) if cv else 0,
        retries=data.get("retries", 2),
        resources=resources,
        checkpoint_every=data.get("checkpoint_every"),
        locations={
            "spec": _location(doc, ("spec",)),
            "objective": _location(doc, ("objective", "metric")),
            **{d.path: _location(doc, ("params", d.path)) for d in params},
        },
    )


def _location(doc: Document, path: tuple[Any, ...]) -> str:
    line, column = doc.position(path)
    return f"{doc.source}:{line}:{column}" if line is not None else str(doc.source)
