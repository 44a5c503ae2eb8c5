"""Fixtures of the nn-sweep tests; helpers live in sweep_helpers (beside this file)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sweep_helpers import Cluster, start_cluster  # noqa: E402


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """A Dask scheduler and two worker processes on loopback, stopped (or killed) afterwards."""
    yield from start_cluster(tmp_path)
