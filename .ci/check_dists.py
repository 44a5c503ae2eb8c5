"""Fail loudly when a test environment holds the wrong nn distributions.

Usage: python .ci/check_dists.py PACKAGE [PACKAGE ...]

Each PACKAGE is a distribution name (``nn-core``) or the path of its folder
(``packages/nn-core``, whose name is the distribution's). Every env runs this
after installing our packages and before its tests. For each named
distribution it checks that it is installed exactly once, that its version is
at least 0.1.0 (PyPI holds an unrelated ``nn-numpy`` 0.0.1) and, given a
folder, equals the folder's own version; that it is a real build, not an
editable install; that it registers in the ``nn`` entry-point group; and that
its modules are imported from the environment, not from the checkout. Our
other distributions must be absent, so nn-core's tests really run with no
plugin installed.
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import json
import re
import sys
from pathlib import Path

OURS = ("nn-core", "nn-numpy", "nn-datasets", "nn-sweep", "nn-torch", "nn-example-plugin")
MIN_VERSION = (0, 1, 0)
GROUP = "nn"


def release(version: str) -> tuple[int, ...]:
    """The numeric release segment of a version string: '0.1.0rc1' -> (0, 1, 0)."""
    match = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(part) for part in match.group().split(".")) if match else ()


def local_version(folder: Path) -> str | None:
    """The static ``version = "..."`` of a package folder's pyproject.toml, if any."""
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return None
    match = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.M)
    return match.group(1) if match else None


def installed(name: str) -> list[md.Distribution]:
    """Every installed distribution named ``name`` (more than one means a broken env)."""
    norm = name.replace("_", "-").lower()
    return [
        dist
        for dist in md.distributions()
        if (dist.metadata["Name"] or "").replace("_", "-").replace(".", "-").lower() == norm
    ]


def check(name: str, folder: Path | None) -> list[str]:
    found = installed(name)
    if not found:
        return [f"{name}: not installed"]
    if len(found) > 1:
        return [f"{name}: installed {len(found)} times: {[d.version for d in found]}"]
    dist = found[0]
    problems = []
    if release(dist.version) < MIN_VERSION:
        problems.append(
            f"{name}: version {dist.version} < 0.1.0 -- not ours (PyPI's squatter?); "
            "install it from its local path in the same pip call as its siblings"
        )
    want = local_version(folder) if folder else None
    if want and dist.version != want:
        problems.append(f"{name}: installed {dist.version}, but {folder} is {want}")
    direct_url = dist.read_text("direct_url.json")
    if direct_url and json.loads(direct_url).get("dir_info", {}).get("editable"):
        problems.append(f"{name}: editable install; tests must run against a real build")
    entry_points = [ep for ep in dist.entry_points if ep.group == GROUP]
    if not entry_points:
        problems.append(f"{name}: declares no entry point in group {GROUP!r}")
    site = Path(str(dist.locate_file(""))).resolve()
    for ep in entry_points:
        top = ep.value.split(":")[0].split(".")[0]
        spec = importlib.util.find_spec(top)
        origin = Path(spec.origin).resolve() if spec and spec.origin else None
        if origin is None:
            problems.append(f"{name}: entry point {ep.name} = {ep.value}: module {top!r} not found")
        elif site not in origin.parents:
            problems.append(f"{name}: {top} imports from {origin}, not from the installed build in {site}")
    if not problems:
        names = ", ".join(f"{ep.name} = {ep.value}" for ep in entry_points)
        print(f"check_dists: {name} {dist.version} OK ({GROUP}: {names})")
    return problems


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    wanted: dict[str, Path | None] = {}
    for arg in argv:
        path = Path(arg)
        is_folder = len(path.parts) > 1 or path.is_dir()
        wanted[path.name if is_folder else arg] = path if is_folder else None
    problems = [p for name, folder in wanted.items() for p in check(name, folder)]
    problems += [
        f"{name}: installed {d.version} but this env must not have it"
        for name in OURS
        if name not in wanted
        for d in installed(name)
    ]
    for problem in problems:
        print(f"check_dists: ERROR {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
