"""nn-example-plugin: the swish activation and the Lion optimizer for nn's numpy backend.

Installed, it is found through its entry point in group ``nn``; specs then
use ``activation: swish`` and ``optimizer: {type: lion, lr: 0.003}``.
"""

from __future__ import annotations

from nn_example_plugin.lion import Lion
from nn_example_plugin.swish import Swish

__version__ = "0.2.0"

__all__ = ["Lion", "Swish"]
