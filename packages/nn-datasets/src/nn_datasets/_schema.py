"""JSON Schema fragments shared by the dataset parameter schemas."""

from __future__ import annotations

from typing import Any

SEED_MAX = 2**32 - 1  # numpy.random.RandomState accepts 0 .. 2**32 - 1


def seed(default: int) -> dict[str, Any]:
    """A ``RandomState`` seed parameter."""
    return {
        "type": "integer",
        "minimum": 0,
        "maximum": SEED_MAX,
        "default": default,
        "description": "seed of the numpy RandomState that draws the data",
    }


def noise(default: float, description: str) -> dict[str, Any]:
    """A non-negative standard deviation of Gaussian noise."""
    return {"type": "number", "minimum": 0, "default": default, "description": description}


def object_schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object schema: unknown parameters are errors."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


def class_names(count: int) -> tuple[str, ...]:
    """Names ``"0" .. "count-1"`` for datasets whose classes are just indices."""
    return tuple(str(i) for i in range(count))
