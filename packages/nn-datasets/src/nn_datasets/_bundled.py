"""Reading the small CSV files shipped inside the package (``nn_datasets/data``)."""

from __future__ import annotations

import gzip
from importlib.resources import files


def bundled_text(filename: str) -> str:
    """The text of ``nn_datasets/data/<filename>``, gunzipped if it ends in ``.gz``."""
    raw = (files("nn_datasets") / "data" / filename).read_bytes()
    if filename.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode("utf-8")


def bundled_csv(filename: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a bundled CSV (plain comma-separated, no quoting)."""
    lines = bundled_text(filename).splitlines()
    return lines[0].split(","), [line.split(",") for line in lines[1:] if line]
