"""Registers nn-datasets' components with nn (entry point ``nn-datasets``).

Imported by every ``nn`` command, so it imports only numpy-based modules;
file parsing and caching run when a dataset is loaded, not here.
"""

from __future__ import annotations

from nn_core.component import Component
from nn_core.hookspecs import hookimpl
from nn_datasets.blobs import Blobs
from nn_datasets.circles import Circles
from nn_datasets.csv_file import Csv
from nn_datasets.digits import Digits
from nn_datasets.idx import Idx
from nn_datasets.iris import Iris
from nn_datasets.kaggle_mnist import KaggleMnist
from nn_datasets.moons import Moons
from nn_datasets.sleep_study import WelchSleepStudy
from nn_datasets.spirals import Spirals


@hookimpl
def nn_components() -> list[type[Component]]:
    """The dataset classes of this package."""
    return [Spirals, Moons, Circles, Blobs, Iris, Digits, WelchSleepStudy, KaggleMnist, Idx, Csv]


@hookimpl
def nn_contract_version() -> int:
    """Written for nn's plugin contract v2 (datasets are backend-agnostic)."""
    return 2
