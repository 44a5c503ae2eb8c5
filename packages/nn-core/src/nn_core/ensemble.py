"""Ensembles: several trained classifiers in one model file, their class probabilities averaged.

An ensemble file is an ordinary model file (same archive, same checks, no
pickle): member ``i``'s arrays live under ``members/i/`` (``weights/...``,
``preprocess/...``) and its metadata under ``ensemble.members[i]``. Each member
keeps its own spec, network and input scaling, so members may differ in
architecture, optimizer or seed; they must agree on what goes in (features) and
what comes out (classes). ``nn evaluate``, ``nn predict`` and ``nn plot
boundary`` read it like any model: loading returns an :class:`Ensemble`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nn_core.errors import ModelFileError, NNError
from nn_core.model import Model, restore_model
from nn_core.modelfile import prefixed, section, write_archive
from nn_core.registry import Registry
from nn_core.spec import Spec

EPS = 1e-12
"""Probabilities are clipped to [EPS, 1 - EPS] in the ensemble's loss, as log(0) has no value."""


class Ensemble:
    """Classifiers whose predicted class probabilities are averaged (soft voting)."""

    def __init__(self, members: list[Model], metadata: dict[str, Any] | None = None) -> None:
        check_members(members, [f"member {i}" for i in range(len(members))])
        self.members = members
        first = members[0]
        self.metadata = metadata or {
            "spec": first.spec.document,
            "task": "classification",
            "classes": first.classes,
            "input_dim": first.input_dim,
            "ensemble": {"members": [m.metadata for m in members]},
        }

    @property
    def spec(self) -> Spec:
        """The first member's spec: its data are what ``nn evaluate`` and ``nn plot boundary`` use."""
        return self.members[0].spec

    @property
    def classes(self) -> list[str] | None:
        return self.members[0].classes

    @property
    def task(self) -> str:
        return "classification"

    @property
    def input_dim(self) -> int:
        return self.members[0].input_dim

    def predict_proba(self, X: Any) -> np.ndarray:
        """The members' class probabilities (one column per class), averaged; each member scales ``X`` its own way.

        Members' probabilities are taken after nn's two-column convention, so a
        model with one sigmoid unit and one with a two-class softmax average
        correctly.
        """
        total = np.array(self.members[0].predict_proba(X), dtype=np.float64)
        for member in self.members[1:]:
            total += member.predict_proba(X)
        return total / len(self.members)

    def outputs(self, X: Any) -> np.ndarray:
        """What metrics receive: the averaged class probabilities."""
        return self.predict_proba(X)

    def predict(self, X: Any) -> np.ndarray:
        """Labels of the type the members' training data had (see :meth:`Model.labels_of`)."""
        from nn_core.builtins import predicted_labels

        return self.members[0].labels_of(predicted_labels(self.predict_proba(X)))

    def loss(self, X: Any, y: np.ndarray) -> float:
        """Cross-entropy of the averaged probabilities (no weight penalty: members' penalties do not average)."""
        proba = np.clip(self.predict_proba(X), EPS, 1 - EPS)
        return float(-np.mean(np.log(proba[np.arange(len(y)), np.asarray(y).astype(np.int64)])))

    def save(self, path: str | os.PathLike[str]) -> None:
        arrays: dict[str, np.ndarray] = {}
        for i, member in enumerate(self.members):
            arrays.update(prefixed(f"members/{i}/weights", member.network.state_arrays()))
            arrays.update(prefixed(f"members/{i}/preprocess", member.scaler.arrays()))
        write_archive(path, "model", arrays, self.metadata)


def _outputs(model: Model) -> int:
    return int(model.predict_proba(np.zeros((1, model.input_dim))).shape[1])


def check_members(members: list[Model], names: list[str]) -> None:
    """Refuse members that disagree on inputs, outputs or classes; ``names`` say which file each came from."""
    if not members:
        raise NNError("an ensemble needs at least one member")
    first, first_name = members[0], names[0]
    for member, name in zip(members, names, strict=True):
        if member.task != "classification":
            raise NNError(f"{name} does {member.task}; an ensemble averages classifiers' probabilities")
        if isinstance(member, Ensemble):
            raise NNError(f"{name} is itself an ensemble; give its members instead")
    for member, name in zip(members[1:], names[1:], strict=True):
        if member.input_dim != first.input_dim:
            raise NNError(
                f"ensemble members disagree on inputs: {first_name} takes {first.input_dim} features, "
                f"{name} takes {member.input_dim}"
            )
        if member.classes != first.classes:
            raise NNError(
                f"ensemble members disagree on classes: {first_name} has {first.classes}, {name} has {member.classes}"
            )
        if _outputs(member) != _outputs(first):
            raise NNError(
                f"ensemble members disagree on classes: {first_name} gives {_outputs(first)} probabilities "
                f"per sample, {name} gives {_outputs(member)}"
            )


def restore_ensemble(
    arrays: dict[str, np.ndarray], meta: dict[str, Any], registry: Registry, what: str, backend: str | None = None
) -> Ensemble:
    """Rebuild an Ensemble from a model file's arrays and metadata (every member on ``backend``, when given)."""
    described = meta.get("ensemble", {}).get("members") if isinstance(meta.get("ensemble"), dict) else None
    if not isinstance(described, list) or not described or not all(isinstance(m, dict) for m in described):
        raise ModelFileError(f"{what} has malformed ensemble metadata (no members)")
    members = [
        restore_model(section(arrays, f"members/{i}"), member_meta, registry, f"{what}, member {i}", backend)
        for i, member_meta in enumerate(described)
    ]
    try:
        return Ensemble(members, meta)
    except NNError as exc:
        raise ModelFileError(f"{what}: {exc}") from None
