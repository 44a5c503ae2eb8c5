"""The typed spec: frozen dataclasses built from a validated, normalized document."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nn_core.component import REF_KEYWORD
from nn_core.spec.schema import ComposedSchema


@dataclass(frozen=True)
class ComponentSpec:
    """A reference to a component: its kind, name and (nested) parameters."""

    kind: str
    type: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Split:
    dev: float = 0.0
    test: float = 0.0


@dataclass(frozen=True)
class DataSpec:
    dataset: ComponentSpec
    split: Split = Split()
    scale: str = "none"


@dataclass(frozen=True)
class CheckpointSpec:
    dir: str
    every: int = 1
    keep: int = 3


@dataclass(frozen=True)
class EarlyStoppingSpec:
    monitor: str = "dev.loss"
    patience: int = 5
    min_delta: float = 0.0
    restore_best: bool = True


@dataclass(frozen=True)
class ModelSpec:
    layers: tuple[ComponentSpec, ...]
    regularizer: ComponentSpec | None = None


@dataclass(frozen=True)
class TrainingSpec:
    epochs: int
    batch_size: int | None  # None: full batch
    shuffle: bool
    log_every: int
    checkpoint: CheckpointSpec | None = None
    early_stopping: EarlyStoppingSpec | None = None
    log: str | None = None
    callbacks: tuple[ComponentSpec, ...] = ()
    clip_norm: float | None = None
    clip_value: float | None = None


@dataclass(frozen=True)
class Spec:
    """A validated experiment. ``document`` is the normalized spec with defaults filled."""

    name: str
    seed: int
    dtype: str
    backend: str
    device: str
    data: DataSpec
    model: ModelSpec
    loss: ComponentSpec
    optimizer: ComponentSpec
    schedule: ComponentSpec | None
    training: TrainingSpec
    metrics: tuple[ComponentSpec, ...]
    document: Mapping[str, Any]
    source: str | None = None
    device_location: str = ""
    """Where ``device`` was written (``"spec.yaml:3:9: "``, ``"(--set device=cuda): "``), or "" when
    defaulted: a device missing from this machine is only found at build time, and that error still
    points at the line that asked for it."""


def component(kind: str, ref: Mapping[str, Any], composed: ComposedSchema) -> ComponentSpec:
    """Turn a normalized ``{type: ..., ...}`` into a ComponentSpec, nested refs included."""
    schema = composed.params[kind][ref["type"]]
    props = schema.get("properties", {})
    params: dict[str, Any] = {}
    for key, value in ref.items():
        if key == "type":
            continue
        sub = props.get(key, {})
        if isinstance(sub, dict) and REF_KEYWORD in sub and value is not None:
            params[key] = component(sub[REF_KEYWORD], value, composed)
        elif isinstance(sub, dict) and isinstance(sub.get("items"), dict) and REF_KEYWORD in sub["items"]:
            params[key] = tuple(component(sub["items"][REF_KEYWORD], v, composed) for v in value)
        else:
            params[key] = value
    return ComponentSpec(kind, ref["type"], params)


def to_spec(
    doc: Mapping[str, Any], composed: ComposedSchema, source: str | None = None, device_location: str = ""
) -> Spec:
    data = doc["data"]
    model = doc["model"]
    training = doc["training"]
    epochs = training["epochs"]
    batch = training["batch_size"]
    opt = lambda kind, key, d=doc: component(kind, d[key], composed) if d.get(key) is not None else None  # noqa: E731
    return Spec(
        name=doc["name"],
        seed=doc["seed"],
        dtype=doc["dtype"],
        backend=doc["backend"],
        device=doc["device"],
        data=DataSpec(component("dataset", data["dataset"], composed), Split(**data["split"]), data["scale"]),
        model=ModelSpec(
            tuple(component("layer", layer, composed) for layer in model["layers"]),
            opt("regularizer", "regularizer", model),
        ),
        loss=component("loss", doc["loss"], composed),
        optimizer=component("optimizer", doc["optimizer"], composed),
        schedule=opt("schedule", "schedule"),
        training=TrainingSpec(
            epochs=epochs,
            batch_size=None if batch == "full" else batch,
            shuffle=training["shuffle"],
            log_every=training.get("log_every") or max(1, epochs // 10),
            checkpoint=CheckpointSpec(**training["checkpoint"]) if "checkpoint" in training else None,
            early_stopping=EarlyStoppingSpec(**training["early_stopping"]) if "early_stopping" in training else None,
            log=training.get("log"),
            clip_norm=training.get("clip_norm"),
            clip_value=training.get("clip_value"),
            callbacks=tuple(component("callback", c, composed) for c in training["callbacks"]),
        ),
        metrics=tuple(component("metric", m, composed) for m in doc["metrics"]),
        document=doc,
        source=source,
        device_location=device_location,
    )
