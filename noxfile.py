"""The sessions of tox.ini, for nox: `nox --list` shows them, `nox -s "tests-3.11(numpy)"` runs one.

Test sessions build the packages from their folders in one pip call (nothing editable, and
none of ours from PyPI, which holds an unrelated nn-numpy 0.0.1), check the result with
.ci/check_dists.py, then run pytest from the package's folder, where only the installed
build is importable. Arguments after `--` go to pytest (ruff, mypy, run.py for the others).
"""

from __future__ import annotations

import enum
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
DEFAULT_PYTHON = "3.11"
TEST_DEPS = ("pytest>=8", "hypothesis>=6")
PYTEST_ARGS = ("-W", "error", "-ra")  # any warning fails, as in tox.ini
LINT_PATHS = ("packages", "tests", "benchmarks", "examples", "noxfile.py", ".ci")
RUFF = "ruff==0.17.6"  # keep in step with tox.ini
MYPY = ("mypy==2.4.1", "pytest>=8", "types-PyYAML", "types-jsonschema", "scipy-stubs")

nox.options.sessions = ["lint", "type", "tests", "torch", "numba", "sklearn", "integration", "plugin", "no-plugin"]
nox.options.error_on_missing_interpreters = True


class Package(enum.Enum):
    """A distribution of the monorepo; its value is its name and its folder under packages/."""

    CORE = "nn-core"
    NUMPY = "nn-numpy"
    DATASETS = "nn-datasets"
    SWEEP = "nn-sweep"

    @property
    def folder(self) -> Path:
        return ROOT / "packages" / self.value

    @property
    def installs(self) -> tuple[Package, ...]:
        """What its test env holds: itself and nn-core, no other plugin (nn-sweep runs real
        trials, so it gets the numpy backend and the datasets too)."""
        if self is Package.SWEEP:
            return (*BASE, self)
        return (Package.CORE,) if self is Package.CORE else (Package.CORE, self)

    @property
    def test_deps(self) -> tuple[str, ...]:
        return TEST_DEPS + (("matplotlib",) if self is Package.SWEEP else ("scikit-learn",))


BASE = (Package.CORE, Package.NUMPY, Package.DATASETS)
"""The three packages README's first command installs."""


def install(session: nox.Session, packages: tuple[Package | Path, ...], *deps: str) -> None:
    """Install ``deps`` and real builds of ``packages`` (or folders) in one pip call, then check the env."""
    folders = [str(package.folder if isinstance(package, Package) else package) for package in packages]
    session.install(*deps, *folders)
    session.run("python", str(ROOT / ".ci" / "check_dists.py"), *folders)


@nox.session(python=PYTHONS)
@nox.parametrize("package", list(Package), ids=[package.name.lower() for package in Package])
def tests(session: nox.Session, package: Package) -> None:
    """Run one package's tests against installed builds of it and nn-core."""
    optional = ("optuna",) if package is Package.SWEEP and session.python == DEFAULT_PYTHON else ()
    install(session, package.installs, *package.test_deps, *optional)
    session.chdir(package.folder)
    session.run("pytest", *PYTEST_ARGS, *(session.posargs or ["tests"]), env={"MPLBACKEND": "Agg"})


@nox.session(python=DEFAULT_PYTHON)
def integration(session: nox.Session) -> None:
    """Run the top-level tests/ against installed builds of all three packages."""
    install(session, BASE, *TEST_DEPS, "scikit-learn", "mlxtend", "matplotlib", "tensorboardX")
    session.chdir(ROOT)
    session.run("pytest", *PYTEST_ARGS, *(session.posargs or ["tests"]), env={"MPLBACKEND": "Agg"})


EXAMPLE = ROOT / "examples" / "nn-example-plugin"


@nox.session(python=DEFAULT_PYTHON)
def plugin(session: nox.Session) -> None:
    """Build the example plugin, install it (not editable) beside the packages, run its tests."""
    folders = [str(package.folder) for package in BASE] + [str(EXAMPLE)]
    session.install(*TEST_DEPS, *folders)
    session.run("python", str(ROOT / ".ci" / "check_dists.py"), *folders)
    session.chdir(EXAMPLE)
    session.run("pytest", *PYTEST_ARGS, *(session.posargs or ["tests"]), env={"MPLBACKEND": "Agg"})


TORCH = ROOT / "packages" / "nn-torch"


@nox.session(python=DEFAULT_PYTHON)
def torch(session: nox.Session) -> None:
    """nn-torch on CPU torch (its wheel is on disk for Python 3.11 only): components against nn-numpy,
    equivalence over specs/, model portability, nn export."""
    install(session, (*BASE, TORCH), *TEST_DEPS, "torch==2.13.0")
    session.chdir(TORCH)
    session.run("pytest", *PYTEST_ARGS, *(session.posargs or ["tests"]))


@nox.session(python=DEFAULT_PYTHON)
def numba(session: nox.Session) -> None:
    """nn-numpy with numba's fused kernels: bit-identical to the reference kernels, imported lazily."""
    install(session, BASE, *TEST_DEPS, "scikit-learn", "numba>=0.59")
    session.chdir(Package.NUMPY.folder)
    tests = ["tests", str(ROOT / "tests" / "test_kernels_startup.py"), str(ROOT / "tests" / "test_tutorial_000.py")]
    session.run("pytest", *PYTEST_ARGS, *(session.posargs or tests))


@nox.session(python=DEFAULT_PYTHON)
def sklearn(session: nox.Session) -> None:
    """NNClassifier/NNRegressor through scikit-learn's estimator checks, Pipelines and grid searches
    (the example plugin installed, so a third party's components are used through them too)."""
    install(session, (*BASE, EXAMPLE), *TEST_DEPS, "scikit-learn", "pandas")
    session.chdir(ROOT)
    tests = ["tests/test_sklearn_estimators.py", "tests/test_sklearn_checks.py"]
    session.run("pytest", *PYTEST_ARGS, *(session.posargs or tests))


@nox.session(name="no-plugin", python=DEFAULT_PYTHON)
def no_plugin(session: nox.Session) -> None:
    """Without the example plugin, a spec naming swish fails validation listing what is installed."""
    install(session, BASE, *TEST_DEPS)
    session.chdir(ROOT)
    session.run("pytest", *PYTEST_ARGS, "tests/test_without_example_plugin.py")


@nox.session(python=DEFAULT_PYTHON)
def lint(session: nox.Session) -> None:
    """Check the code with ruff (rules in ruff.toml)."""
    session.install(RUFF)
    session.chdir(ROOT)
    session.run("ruff", "check", *(session.posargs or LINT_PATHS))


@nox.session(name="type", python=DEFAULT_PYTHON)
def type_check(session: nox.Session) -> None:
    """Type-check the packages' sources with mypy (settings and files in mypy.ini)."""
    folders = [f"{Package.CORE.folder}[plot]", str(Package.NUMPY.folder), str(Package.DATASETS.folder)]
    folders += [f"{Package.SWEEP.folder}[tpe]", str(TORCH), "torch==2.13.0"]
    session.install(*MYPY, *folders)
    session.chdir(ROOT)
    session.run("mypy", *session.posargs)


@nox.session(python=DEFAULT_PYTHON)
def bench(session: nox.Session) -> None:
    """Run `python benchmarks/run.py` against installed builds, with PyTorch (the CPU build on
    disk), scikit-learn and mlxtend installed here only (not in the default run)."""
    install(session, (*BASE, Package.SWEEP, TORCH), "torch==2.13.0", "scikit-learn", "mlxtend", "numba>=0.59")
    session.chdir(ROOT)
    session.run("python", str(ROOT / "benchmarks" / "run.py"), *session.posargs)
