"""Which distribution provided each component a model uses, and checking it on load.

A model file records, per component, the distribution and version that
provided it. Loading a model whose component is no longer installed then
says which distribution to install, instead of failing on an unknown name.
"""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import numpy as np

from nn_core.errors import ModelFileError
from nn_core.hints import install_hint
from nn_core.registry import Registry
from nn_core.spec.model import Spec


def distribution_version(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def components_used(spec: Spec, registry: Registry) -> list[dict[str, Any]]:
    """One record per distinct component of ``spec``: kind, name, backend, provider."""
    from nn_core.experiment import components_of

    records: dict[tuple[str, str, str | None], dict[str, Any]] = {}
    for kind, name, backend in [("backend", spec.backend, None)] + [
        (ref.kind, ref.type, spec.backend) for ref in components_of(spec)
    ]:
        info = registry.get(kind, name, backend)
        key = (kind, name, info.backend)
        records[key] = {
            "kind": kind,
            "name": name,
            "backend": info.backend,
            "distribution": info.distribution,
            "version": info.version,
        }
    return list(records.values())


def environment() -> dict[str, str]:
    return {
        "nn-core": distribution_version("nn-core"),
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def check_installed(components: list[dict[str, Any]], registry: Registry, what: str) -> None:
    """Raise naming the distribution to install for each recorded component that is missing."""
    missing = []
    for record in components:
        kind, name, backend = record.get("kind"), record.get("name"), record.get("backend")
        if not isinstance(kind, str) or not isinstance(name, str):
            raise ModelFileError(f"{what}: malformed component record {record!r}")
        try:
            registry.get(kind, name, backend)
        except LookupError:
            dist = record.get("distribution", "?")
            missing.append(
                f"`{install_hint(dist)}` provides {kind} {name!r} (the model used {dist} {record.get('version', '?')})"
            )
    if missing:
        raise ModelFileError(f"{what} needs components that are not installed: " + "; ".join(missing))
