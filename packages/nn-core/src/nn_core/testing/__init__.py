"""A conformance kit for plugin authors: does a component keep its kind's contract?

From a plugin's own test suite::

    from nn_core.testing import check_component, check_distribution
    from nn_core.testing.pytest_plugin import components_of

    def test_everything_conforms():
        check_distribution("nn-my-plugin")        # every component, one report

    @pytest.mark.parametrize("component", components_of("nn-my-plugin"))
    def test_component(component):               # or one test id per component
        check_component(component)

    def test_swish_with_beta_2():
        check_activation(Swish, beta=2.0)         # one class, chosen parameters

What is checked, per component:

* identity and parameters (every kind): kind, name, backend, a docstring,
  ``params_schema`` a valid JSON Schema whose defaults validate, and the
  class constructs with them (:func:`check_schema`);
* activations, layers, losses, regularizers: every derivative against
  central differences in float64, named in the failure (the input, or the
  layer parameter); float32 inputs give float32 outputs;
* optimizers: a convex quadratic decreases; continuing after
  ``state_dict()``/``load_state_dict()`` equals continuing without;
* initializers and schedules: well-formed, finite results;
* backends that declare several kernel sets (``kernel_sets``, ``kernel_cases``):
  every set gives the first set's results bit for bit (:mod:`nn_core.testing.kernels`);
* everything: the same seed and inputs give identical outputs.

A failure raises :class:`ConformanceError` (an ``AssertionError``) whose
message names the component and its distribution, e.g. ``activation
'bad_tanh' (nn-evil 0.1): gradient w.r.t. its input is off: relative error
0.41 > 1e-6``.

Importing this package imports no backend and no pytest; fixtures live in
:mod:`nn_core.testing.pytest_plugin`.
"""

from __future__ import annotations

from nn_core.testing._common import EPS, SEED, THRESHOLD, ConformanceError
from nn_core.testing.components import (
    CHECKS,
    check_component,
    check_distribution,
    check_initializer,
    check_registration,
    check_schedule,
    components_of_distribution,
    installed_registry,
)
from nn_core.testing.gradients import check_activation, check_layer, check_loss, check_regularizer
from nn_core.testing.interrupts import CtrlCAt
from nn_core.testing.kernels import check_backend, check_kernel_sets
from nn_core.testing.metrics import check_metric
from nn_core.testing.optimizers import Quadratic, check_optimizer
from nn_core.testing.schema import check_schema, example_value

__all__ = [
    "CHECKS",
    "EPS",
    "SEED",
    "THRESHOLD",
    "ConformanceError",
    "CtrlCAt",
    "Quadratic",
    "check_activation",
    "check_backend",
    "check_component",
    "check_distribution",
    "check_initializer",
    "check_kernel_sets",
    "check_layer",
    "check_metric",
    "check_loss",
    "check_optimizer",
    "check_registration",
    "check_regularizer",
    "check_schedule",
    "check_schema",
    "components_of_distribution",
    "example_value",
    "installed_registry",
]
