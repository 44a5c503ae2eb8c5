"""nn-datasets: toy, bundled and file-backed datasets for nn.

Importing this package is cheap (numpy only); each dataset lives in its own
module and is registered with nn through :mod:`nn_datasets.plugin`.
"""

__version__ = "0.2.0"
