"""Install hints that work for the way nn is installed today: from a checkout.

nn's distributions are not on the package index (and PyPI's unrelated
``nn-numpy 0.0.1`` must never be suggested), so a hint names the editable
install from the repository's ``packages/`` folder; third-party packages
(matplotlib) get the ordinary ``pip install``.
"""

from __future__ import annotations

OWN_DISTRIBUTIONS: frozenset[str] = frozenset({"nn-core", "nn-numpy", "nn-datasets", "nn-torch", "nn-sweep"})
"""Distributions that live in this repository under ``packages/<name>``."""


def install_hint(distribution: str) -> str:
    """``pip install -e packages/nn-numpy`` for ours (from the repository root), ``pip install X`` otherwise."""
    if distribution in OWN_DISTRIBUTIONS:
        return f"pip install -e packages/{distribution} (from the nn repository)"
    return f"pip install {distribution}"
